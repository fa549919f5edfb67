//! [`Chunked`]: a table of records by index, stored in fixed chunks. A fleet fills such
//! tables by the hundred thousand (a record per pod ever created), and one vector copied
//! every record each time it doubled, held both copies at that moment, and gave the old
//! one back to the allocator as fresh pages to be zeroed again. Chunks never move, so
//! growing costs one chunk at a time and nothing is copied.

use std::ops::{Index, IndexMut};

/// Records by index in chunks of [`Chunked::CHUNK`].
#[derive(Debug, Clone)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    /// Records per chunk (a power of two, so finding one is a shift and a mask).
    pub(crate) const CHUNK: usize = 4096;

    /// How many records there are.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends a record under the next index.
    pub(crate) fn push(&mut self, record: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < Self::CHUNK => chunk.push(record),
            _ => {
                let mut chunk = Vec::with_capacity(Self::CHUNK);
                chunk.push(record);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    /// The record at `index`, if there is one.
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.chunks
            .get(index / Self::CHUNK)?
            .get(index % Self::CHUNK)
    }

    /// The record at `index`, to change, if there is one.
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks
            .get_mut(index / Self::CHUNK)?
            .get_mut(index % Self::CHUNK)
    }

    /// Every record, in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    /// Every record, in index order, to change.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.chunks.iter_mut().flatten()
    }
}

impl<T: Default> Chunked<T> {
    /// The record at `index`, appending default records up to it first when the table is
    /// shorter.
    pub(crate) fn grown_to(&mut self, index: usize) -> &mut T {
        while self.len <= index {
            self.push(T::default());
        }
        &mut self[index]
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        &self.chunks[index / Self::CHUNK][index % Self::CHUNK]
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        &mut self.chunks[index / Self::CHUNK][index % Self::CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_their_index_across_chunks() {
        let mut table = Chunked::default();
        let count = Chunked::<u32>::CHUNK * 2 + 5;
        for value in 0..count as u32 {
            table.push(value);
        }
        assert_eq!(table.len(), count);
        assert_eq!(table[Chunked::<u32>::CHUNK], Chunked::<u32>::CHUNK as u32);
        assert_eq!(table[count - 1], count as u32 - 1);
        assert_eq!(table.get(count - 1), Some(&(count as u32 - 1)));
        assert_eq!(table.get(count), None);
        assert_eq!(table.get_mut(count), None);
        if let Some(last) = table.get_mut(count - 1) {
            *last = 0;
        }
        assert_eq!(table[count - 1], 0);
        table[count - 1] = count as u32 - 1;
        assert!(table.iter().copied().eq(0..count as u32));
        for value in table.iter_mut() {
            *value += 1;
        }
        table[0] = 100;
        assert_eq!((table[0], table[1]), (100, 2));
    }

    #[test]
    fn growing_to_an_index_fills_with_defaults() {
        let mut table: Chunked<u8> = Chunked::default();
        *table.grown_to(Chunked::<u8>::CHUNK + 1) = 7;
        assert_eq!(table.len(), Chunked::<u8>::CHUNK + 2);
        assert_eq!((table[0], table[Chunked::<u8>::CHUNK + 1]), (0, 7));
        *table.grown_to(3) = 4;
        assert_eq!(table.len(), Chunked::<u8>::CHUNK + 2);
        assert_eq!(table[3], 4);
    }
}
