#[traced]
pub fn code_text(code: u8) -> &'static str {
    let at = 3 * (code as usize);
    #[cfg(debug_assertions)]
    {
        &TABLE[at..at + 3]
    }
    #[cfg(not(debug_assertions))]
    unsafe {
        TABLE.get_unchecked(at..at + 3)
    }
}
