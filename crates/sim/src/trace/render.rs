//! A stable text rendering of the trace: one line per record, virtual time first, names
//! instead of ids, digests in full. Determinism tests compare it byte for byte. Each line
//! is printed from the record's named form ([`Sim::named_entry`]), the same form the
//! scenario transcript and JSON are built from; its words are chosen next to that form
//! (`named.rs`, `Entry::write_trace_line`).

use crate::Sim;
use crate::trace::TraceRecord;

impl Sim {
    /// Every kept record, one line each.
    pub fn render_trace(&self) -> String {
        let mut out = String::new();
        for record in &self.trace {
            out.push_str(&self.render_record(record));
            out.push('\n');
        }
        out
    }

    /// One record as a line.
    pub fn render_record(&self, record: &TraceRecord) -> String {
        let mut line = format!("{} ", record.time);
        self.named_entry(&record.event)
            .write_trace_line(self, &mut line);
        line
    }
}
