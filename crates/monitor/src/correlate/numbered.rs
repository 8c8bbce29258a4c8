//! A list numbered from 0 in the order of pushing, that can let go of its oldest items: a
//! correlator fed in order of time keeps only the incidents a lookup can still reach, and the
//! observations in them, so what it holds stays small however long the batch.

use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub(super) struct Numbered<T> {
    /// The number of the first item held: how many were let go.
    base: usize,
    items: VecDeque<T>,
}

impl<T> Default for Numbered<T> {
    fn default() -> Self {
        Self {
            base: 0,
            items: VecDeque::new(),
        }
    }
}

impl<T> Numbered<T> {
    /// Item `i`, unless it was let go or is not there yet.
    pub fn get(&self, i: usize) -> Option<&T> {
        self.items.get(i.checked_sub(self.base)?)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.items.get_mut(i.checked_sub(self.base)?)
    }

    /// Adds an item; it is numbered [`Numbered::len`] as it was before.
    pub fn push(&mut self, x: T) {
        self.items.push_back(x);
    }

    /// How many were ever pushed: the number the next one gets.
    pub fn len(&self) -> usize {
        self.base + self.items.len()
    }

    /// The number of the oldest item held.
    pub fn first(&self) -> usize {
        self.base
    }

    pub fn reserve(&mut self, n: usize) {
        self.items.reserve(n);
    }

    /// The items held, oldest first.
    pub fn iter(&self) -> std::collections::vec_deque::Iter<'_, T> {
        self.items.iter()
    }

    /// The oldest item held.
    pub fn front(&self) -> Option<&T> {
        self.items.front()
    }

    /// Lets go of the oldest item held; the numbers of the others stay.
    pub fn pop_front(&mut self) -> Option<T> {
        let x = self.items.pop_front()?;
        self.base += 1;
        Some(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_keep_their_numbers_when_older_ones_are_let_go() {
        let mut n = Numbered::default();
        for x in ["a", "b", "c", "d"] {
            n.push(x);
        }
        assert_eq!((n.len(), n.first()), (4, 0));
        assert_eq!(n.pop_front(), Some("a"));
        assert_eq!(n.pop_front(), Some("b"));
        assert_eq!((n.get(0), n.get(1)), (None, None));
        assert_eq!(
            (n.get(2), n.get(3), n.get(4)),
            (Some(&"c"), Some(&"d"), None)
        );
        n.push("e");
        assert_eq!((n.len(), n.first(), n.get(4)), (5, 2, Some(&"e")));
        if let Some(x) = n.get_mut(3) {
            *x = "D";
        }
        assert_eq!(n.iter().copied().collect::<Vec<_>>(), ["c", "D", "e"]);
        assert_eq!(n.front(), Some(&"c"));
    }
}
