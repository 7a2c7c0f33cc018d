//! Go's `sort.Sort` (pattern-defeating quicksort, Go 1.19 and later), reproduced step for step.
//!
//! Karmada orders dynamic-weight candidates with `sort.Sort` on "replicas descending", which is
//! not a total order: clusters with equal replicas keep whatever relative order the algorithm
//! leaves them in. Up to 12 elements that is insertion sort, i.e. stable; beyond that pdqsort
//! moves equal elements around deterministically. The Aggregated strategy keeps the shortest
//! *prefix* of that order, so to choose the same clusters as Karmada we must produce the same
//! permutation — hence this port (of `sort/zsortinterface.go` and `sort/sort.go`) instead of
//! Rust's own sorts. It is only used where the order of equal elements is observable.

/// Sorts `data` exactly as Go's `sort.Sort` would with the given `less`.
pub(crate) fn sort<T>(data: &mut [T], less: impl Fn(&T, &T) -> bool) {
    let n = data.len();
    if n <= 1 {
        return;
    }
    let limit = (usize::BITS - n.leading_zeros()) as usize;
    let mut s = Sorter { data, less };
    s.pdqsort(0, n, limit);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hint {
    Unknown,
    Increasing,
    Decreasing,
}

struct Sorter<'a, T, F> {
    data: &'a mut [T],
    less: F,
}

impl<T, F: Fn(&T, &T) -> bool> Sorter<'_, T, F> {
    fn less(&self, i: usize, j: usize) -> bool {
        (self.less)(&self.data[i], &self.data[j])
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.data.swap(i, j);
    }

    fn insertion_sort(&mut self, a: usize, b: usize) {
        for i in a + 1..b {
            let mut j = i;
            while j > a && self.less(j, j - 1) {
                self.swap(j, j - 1);
                j -= 1;
            }
        }
    }

    fn sift_down(&mut self, lo: usize, hi: usize, first: usize) {
        let mut root = lo;
        loop {
            let mut child = 2 * root + 1;
            if child >= hi {
                return;
            }
            if child + 1 < hi && self.less(first + child, first + child + 1) {
                child += 1;
            }
            if !self.less(first + root, first + child) {
                return;
            }
            self.swap(first + root, first + child);
            root = child;
        }
    }

    fn heap_sort(&mut self, a: usize, b: usize) {
        let first = a;
        let hi = b - a;
        let mut i = (hi - 1) / 2;
        loop {
            self.sift_down(i, hi, first);
            if i == 0 {
                break;
            }
            i -= 1;
        }
        for i in (0..hi).rev() {
            self.swap(first, first + i);
            self.sift_down(0, i, first);
        }
    }

    fn pdqsort(&mut self, mut a: usize, mut b: usize, mut limit: usize) {
        const MAX_INSERTION: usize = 12;
        let mut was_balanced = true;
        let mut was_partitioned = true;
        loop {
            let length = b - a;
            if length <= MAX_INSERTION {
                self.insertion_sort(a, b);
                return;
            }
            if limit == 0 {
                self.heap_sort(a, b);
                return;
            }
            if !was_balanced {
                self.break_patterns(a, b);
                limit -= 1;
            }
            let (mut pivot, mut hint) = self.choose_pivot(a, b);
            if hint == Hint::Decreasing {
                self.reverse_range(a, b);
                pivot = (b - 1) - (pivot - a);
                hint = Hint::Increasing;
            }
            if was_balanced
                && was_partitioned
                && hint == Hint::Increasing
                && self.partial_insertion_sort(a, b)
            {
                return;
            }
            if a > 0 && !self.less(a - 1, pivot) {
                a = self.partition_equal(a, b, pivot);
                continue;
            }
            let (mid, already_partitioned) = self.partition(a, b, pivot);
            was_partitioned = already_partitioned;
            let (left_len, right_len) = (mid - a, b - mid);
            let balance_threshold = length / 8;
            if left_len < right_len {
                was_balanced = left_len >= balance_threshold;
                self.pdqsort(a, mid, limit);
                a = mid + 1;
            } else {
                was_balanced = right_len >= balance_threshold;
                self.pdqsort(mid + 1, b, limit);
                b = mid;
            }
        }
    }

    // `i` and `j` are inclusive bounds that may cross; Go uses signed ints, so we do too.
    fn partition(&mut self, a: usize, b: usize, pivot: usize) -> (usize, bool) {
        self.swap(a, pivot);
        let (mut i, mut j) = (a as isize + 1, b as isize - 1);
        while i <= j && self.less(i as usize, a) {
            i += 1;
        }
        while i <= j && !self.less(j as usize, a) {
            j -= 1;
        }
        if i > j {
            self.swap(j as usize, a);
            return (j as usize, true);
        }
        self.swap(i as usize, j as usize);
        i += 1;
        j -= 1;
        loop {
            while i <= j && self.less(i as usize, a) {
                i += 1;
            }
            while i <= j && !self.less(j as usize, a) {
                j -= 1;
            }
            if i > j {
                break;
            }
            self.swap(i as usize, j as usize);
            i += 1;
            j -= 1;
        }
        self.swap(j as usize, a);
        (j as usize, false)
    }

    fn partition_equal(&mut self, a: usize, b: usize, pivot: usize) -> usize {
        self.swap(a, pivot);
        let (mut i, mut j) = (a as isize + 1, b as isize - 1);
        loop {
            while i <= j && !self.less(a, i as usize) {
                i += 1;
            }
            while i <= j && self.less(a, j as usize) {
                j -= 1;
            }
            if i > j {
                break;
            }
            self.swap(i as usize, j as usize);
            i += 1;
            j -= 1;
        }
        i as usize
    }

    fn partial_insertion_sort(&mut self, a: usize, b: usize) -> bool {
        const MAX_STEPS: usize = 5;
        const SHORTEST_SHIFTING: usize = 50;
        let mut i = a + 1;
        for _ in 0..MAX_STEPS {
            while i < b && !self.less(i, i - 1) {
                i += 1;
            }
            if i == b {
                return true;
            }
            if b - a < SHORTEST_SHIFTING {
                return false;
            }
            self.swap(i, i - 1);
            // Go walks down to index 1 here, not to `a + 1`; kept as is.
            if i - a >= 2 {
                let mut j = i - 1;
                while j >= 1 {
                    if !self.less(j, j - 1) {
                        break;
                    }
                    self.swap(j, j - 1);
                    j -= 1;
                }
            }
            if b - i >= 2 {
                for j in i + 1..b {
                    if !self.less(j, j - 1) {
                        break;
                    }
                    self.swap(j, j - 1);
                }
            }
        }
        false
    }

    fn break_patterns(&mut self, a: usize, b: usize) {
        let length = b - a;
        if length >= 8 {
            let mut random = length as u64;
            let modulus = 1usize << (usize::BITS - length.leading_zeros());
            let start = a + (length / 4) * 2 - 1;
            for idx in start..=a + (length / 4) * 2 + 1 {
                random ^= random << 13;
                random ^= random >> 7;
                random ^= random << 17;
                let mut other = (random as usize) & (modulus - 1);
                if other >= length {
                    other -= length;
                }
                self.swap(idx, a + other);
            }
        }
    }

    fn choose_pivot(&mut self, a: usize, b: usize) -> (usize, Hint) {
        const SHORTEST_NINTHER: usize = 50;
        const MAX_SWAPS: usize = 4 * 3;
        let l = b - a;
        let mut swaps = 0;
        let mut i = a + l / 4;
        let mut j = a + l / 4 * 2;
        let mut k = a + l / 4 * 3;
        if l >= 8 {
            if l >= SHORTEST_NINTHER {
                i = self.median(i - 1, i, i + 1, &mut swaps);
                j = self.median(j - 1, j, j + 1, &mut swaps);
                k = self.median(k - 1, k, k + 1, &mut swaps);
            }
            j = self.median(i, j, k, &mut swaps);
        }
        match swaps {
            0 => (j, Hint::Increasing),
            MAX_SWAPS => (j, Hint::Decreasing),
            _ => (j, Hint::Unknown),
        }
    }

    fn order2(&self, a: usize, b: usize, swaps: &mut usize) -> (usize, usize) {
        if self.less(b, a) {
            *swaps += 1;
            (b, a)
        } else {
            (a, b)
        }
    }

    fn median(&self, a: usize, b: usize, c: usize, swaps: &mut usize) -> usize {
        let (a, b) = self.order2(a, b, swaps);
        let (b, _) = self.order2(b, c, swaps);
        let (_, b) = self.order2(a, b, swaps);
        b
    }

    fn reverse_range(&mut self, a: usize, b: usize) {
        let (mut i, mut j) = (a, b - 1);
        while i < j {
            self.swap(i, j);
            i += 1;
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn small_inputs_are_stable_insertion_sort() {
        // (key, original position): equal keys must keep their order up to 12 elements.
        let mut v: Vec<(i32, usize)> = [3, 1, 3, 2, 1, 3, 2, 2, 1, 3, 1, 2]
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect();
        sort(&mut v, |a, b| a.0 > b.0);
        let mut expected = v.clone();
        expected.sort_by_key(|a| std::cmp::Reverse(a.0));
        assert_eq!(v, expected);
    }

    /// Traced by hand through Go's pdqsort: 12 equal elements then a larger one. The partition
    /// step moves equal elements around, so the result is not the stable order.
    #[test]
    fn thirteen_elements_follow_go_not_stability() {
        let mut v: Vec<(i32, usize)> = (0..13).map(|i| (i32::from(i == 12) + 1, i)).collect();
        sort(&mut v, |a, b| a.0 > b.0);
        let ids: Vec<usize> = v.iter().map(|x| x.1).collect();
        assert_eq!(ids, [12, 6, 2, 3, 4, 5, 0, 7, 8, 9, 10, 11, 1]);
    }

    proptest! {
        /// Go leaves already sorted input untouched, whatever its length and runs of equal keys
        /// (the pivot hint is "increasing" and the partial insertion sort finds no inversion).
        #[test]
        fn sorted_input_is_left_alone(mut keys in proptest::collection::vec(0i32..6, 0..200)) {
            keys.sort_unstable_by(|a, b| b.cmp(a));
            let mut tagged: Vec<(i32, usize)> = keys.iter().copied().enumerate().map(|(i, k)| (k, i)).collect();
            sort(&mut tagged, |a, b| a.0 > b.0);
            prop_assert!(tagged.iter().enumerate().all(|(i, t)| t.1 == i));
        }

        #[test]
        fn sorts_any_input(mut v in proptest::collection::vec(0i32..20, 0..300)) {
            sort(&mut v, |a, b| a > b);
            prop_assert!(v.windows(2).all(|w| w[0] >= w[1]));
        }

        #[test]
        fn is_a_permutation(v in proptest::collection::vec(0i32..5, 0..200)) {
            let mut tagged: Vec<(i32, usize)> = v.iter().copied().enumerate().map(|(i, k)| (k, i)).collect();
            sort(&mut tagged, |a, b| a.0 < b.0);
            let mut idx: Vec<usize> = tagged.iter().map(|t| t.1).collect();
            idx.sort_unstable();
            prop_assert_eq!(idx, (0..v.len()).collect::<Vec<_>>());
        }
    }
}
