using Platform.Data.Datasets.Ingestion;
using Platform.Training.Torch;
using Platform.Training.Torch.Vision;

namespace Platform.Jobs.Training;

/// <summary>
/// Upload validation with the decoder jobs and the playground use (stb_image through the native
/// shim): whatever an upload accepts, training can decode, and a truncated file is refused at once.
/// </summary>
public sealed class DecodingImageVerifier : IImageVerifier
{
    public string? Verify(ReadOnlySpan<byte> image, int maxSide)
    {
        try
        {
            ImageDecoder.Verify(image, maxSide);
            return null;
        }
        catch (TorchException ex)
        {
            return ex.Message;
        }
    }
}
