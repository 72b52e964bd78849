namespace Platform.Data.Datasets.Ingestion;

/// <summary>
/// Decodes an uploaded image completely, with the decoder training and prediction use (implemented by
/// Platform.Jobs over the native one), so a truncated or corrupt file is refused at upload instead of
/// failing a job later. Returns null when the image decodes, else the reason for the user.
/// </summary>
public interface IImageVerifier
{
    /// <param name="maxSide">Wider or taller images are refused from their header, before any pixel is decoded.</param>
    string? Verify(ReadOnlySpan<byte> image, int maxSide);
}
