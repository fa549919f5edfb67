//! A transcript line before folding: the shape of a record's human form in the scenario
//! transcript (object, type column, reason column, text), and what a record's line needs
//! from the story around it ([`LineContext`]). Each record's own line is written by
//! [`Entry::transcript_line`](crate::trace::Entry::transcript_line), next to its named
//! form and its trace text; the transcript folds, summarises and lays the lines out.

use pullsim_model::SimTime;

use crate::trace::Instance;

/// One transcript line before folding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// When it happened.
    pub at: SimTime,
    /// `pod`, `node`, `registry`, `timeline` or `admission`.
    pub object_kind: &'static str,
    /// The object's name (empty for the timeline).
    pub object_name: String,
    /// The container, for events and statuses of a pod with several.
    pub container: Option<String>,
    /// The type column: `Normal`, `Warning`, or pullsim's own `pod`, `status`, ...
    pub line_type: &'static str,
    /// The reason column.
    pub reason: String,
    /// The text; `{node}` stands for [`Line::node`].
    pub text: String,
    /// A node named in the text, folded into a range when lines fold.
    pub node: Option<String>,
}

impl Line {
    /// A line about an object, with empty columns.
    pub fn new(at: SimTime, object_kind: &'static str, object_name: &str) -> Line {
        Line {
            at,
            object_kind,
            object_name: object_name.to_owned(),
            container: None,
            line_type: "",
            reason: String::new(),
            text: String::new(),
            node: None,
        }
    }

    /// The line with its type column, reason column and text.
    pub fn with(mut self, line_type: &'static str, reason: &str, text: String) -> Line {
        self.line_type = line_type;
        self.reason = reason.to_owned();
        self.text = text;
        self
    }

    /// The line naming `node` where its text says `{node}`.
    pub(crate) fn on(mut self, node: &str) -> Line {
        self.node = Some(node.to_owned());
        self
    }

    /// The line naming `container`, when the pod has several (a pod of one container
    /// needs no container column).
    pub(crate) fn in_container(mut self, several: bool, container: Option<&str>) -> Line {
        if several {
            self.container = container.map(str::to_owned);
        }
        self
    }
}

/// What a record's transcript line needs from the records before it. The scenario's
/// transcript keeps this state as it reads the story in order.
pub trait LineContext {
    /// Whether the pod instance has more than one container (init containers included),
    /// so that its lines name the container.
    fn several_containers(&self, instance: Instance) -> bool;
    /// When the pod instance was created, if a record said so.
    fn created(&self, instance: Instance) -> Option<SimTime>;
    /// The short digest the pod instance's only container runs, when its Running status
    /// was held back to be told on the pod's Running line.
    fn running_digest(&self, instance: Instance) -> Option<&str>;
}

/// The object a registry request is shown under: its node, or the digest-pinning webhook
/// for [`crate::ADMISSION_CLIENT`].
pub fn client_object(client: &str) -> (&'static str, &str) {
    if client == crate::ADMISSION_CLIENT {
        ("admission", "digest-pinning")
    } else {
        ("node", client)
    }
}
