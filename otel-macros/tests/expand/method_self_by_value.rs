impl Builder {
    #[traced]
    fn build(self, capacity: usize) -> Vec<u8> {
        Vec::with_capacity(capacity)
    }
}
