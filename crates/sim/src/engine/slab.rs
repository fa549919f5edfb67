//! The generation-keyed slab that holds work in progress under stable keys.

use super::Chunked;

/// A table of optional slots with a free list, so lookups are an index. A key carries
/// the slot's generation in its high half: once an entry is removed, its key never finds
/// the entry that reuses the slot (work that finished while a caller up the stack still
/// held its key must look stale, not like someone else's).
///
/// The slots are [`Chunked`]: a fleet's first instant queues a pull for every pod at once
/// (tens of thousands of entries of a hundred bytes and more), and a vector copied them all
/// at each doubling, into fresh pages.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Chunked<(u32, Option<T>)>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Chunked::default(),
            free: Vec::new(),
        }
    }
}

/// A [`Slab`] key: generation in the high 32 bits, slot index in the low 32.
pub(crate) type Key = u64;

fn split(key: Key) -> (usize, u32) {
    ((key & 0xffff_ffff) as usize, (key >> 32) as u32)
}

impl<T> Slab<T> {
    pub(crate) fn insert(&mut self, value: T) -> Key {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push((0, None));
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.1 = Some(value);
        (u64::from(slot.0) << 32) | u64::from(index)
    }

    pub(crate) fn get(&self, key: Key) -> Option<&T> {
        let (index, generation) = split(key);
        self.slots
            .get(index)
            .filter(|slot| slot.0 == generation)
            .and_then(|slot| slot.1.as_ref())
    }

    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        let (index, generation) = split(key);
        self.slots
            .get_mut(index)
            .filter(|slot| slot.0 == generation)
            .and_then(|slot| slot.1.as_mut())
    }

    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        let (index, generation) = split(key);
        let slot = self
            .slots
            .get_mut(index)
            .filter(|slot| slot.0 == generation)?;
        let value = slot.1.take()?;
        slot.0 = slot.0.wrapping_add(1);
        self.free.push(index as u32);
        Some(value)
    }

    /// The keys of every live entry the predicate accepts, in slot order.
    pub(crate) fn ids_where(&self, keep: impl Fn(&T) -> bool) -> Vec<Key> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(index, (generation, slot))| {
                slot.as_ref()
                    .filter(|v| keep(v))
                    .map(|_| (u64::from(*generation) << 32) | index as u64)
            })
            .collect()
    }
}
