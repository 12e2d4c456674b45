#[traced(name = "main")]
#[tokio::main]
async fn main() -> Result<(), Error> {
    serve().await
}
