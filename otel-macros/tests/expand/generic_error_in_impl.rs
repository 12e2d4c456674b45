impl<T, const N: usize> Stack<T, N> {
    #[traced]
    pub fn push(&mut self, item: T) -> Result<(), Full<T>> {
        if self.items.len() == N {
            return Err(Full(item));
        }
        self.items.push(item);
        Ok(())
    }
}
