namespace Platform.Training.Torch.Vision;

/// <summary>Decodes PNG/JPEG/BMP/GIF bytes natively (stb_image) into a normalised CHW float tensor.</summary>
public static class ImageDecoder
{
    /// <summary>
    /// Images wider or taller than this are refused before decoding: a small PNG can declare 30000x30000
    /// pixels and take gigabytes. Uploads are held to the same side.
    /// </summary>
    public const int DefaultMaxSide = 4096;

    public static unsafe (int Width, int Height, int Channels) Info(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            NativeMethods.Check(NativeMethods.pt_image_info(p, bytes.Length, out var w, out var h, out var c));
            return (w, h, c);
        }
    }

    /// <summary>
    /// Decodes every pixel of the image and discards them: what upload validation uses so that a file
    /// a job would fail to decode (truncated, corrupt) is refused before it is stored. Sides over
    /// <paramref name="maxSide"/> are refused from the header, before any pixel is allocated.
    /// </summary>
    public static unsafe (int Width, int Height, int Channels) Verify(ReadOnlySpan<byte> bytes, int maxSide = DefaultMaxSide)
    {
        fixed (byte* p = bytes)
        {
            NativeMethods.Check(NativeMethods.pt_image_verify(p, bytes.Length, maxSide, out var w, out var h, out var c));
            return (w, h, c);
        }
    }

    /// <summary>
    /// Returns [channels, height, width] float32: transparent pixels composited onto <paramref name="background"/>
    /// (white when empty), converted to 1 or 3 channels, resized to the target size, scaled to [0,1], then
    /// (x - mean) / std per channel. Corrupt or oversized data throws <see cref="TorchException"/>.
    /// </summary>
    public static unsafe Tensor Decode(ReadOnlySpan<byte> bytes, int channels, int height, int width,
        ReadOnlySpan<float> mean = default, ReadOnlySpan<float> std = default, ReadOnlySpan<byte> background = default,
        int maxSide = DefaultMaxSide)
    {
        if (!mean.IsEmpty && mean.Length != channels) throw new ArgumentException("mean needs one value per channel", nameof(mean));
        if (!std.IsEmpty && std.Length != channels) throw new ArgumentException("std needs one value per channel", nameof(std));
        CheckBackground(background);
        var output = new float[channels * height * width];
        fixed (byte* p = bytes)
        fixed (float* m = mean)
        fixed (float* s = std)
        fixed (byte* b = background)
        fixed (float* o = output)
        {
            NativeMethods.Check(NativeMethods.pt_image_decode(p, bytes.Length, channels, height, width, m, s, b, maxSide, o));
        }
        return Tensor.FromSpan(output, [channels, height, width]);
    }

    /// <summary>
    /// The pixels a model sees before normalisation: height x width x channels bytes (grey or RGB),
    /// composited, converted and resized exactly as <see cref="Decode"/> does.
    /// </summary>
    public static unsafe byte[] Preview(ReadOnlySpan<byte> bytes, int channels, int height, int width,
        ReadOnlySpan<byte> background = default, int maxSide = DefaultMaxSide)
    {
        CheckBackground(background);
        var output = new byte[channels * height * width];
        fixed (byte* p = bytes)
        fixed (byte* b = background)
        fixed (byte* o = output)
        {
            NativeMethods.Check(NativeMethods.pt_image_preview(p, bytes.Length, channels, height, width, b, maxSide, o));
        }
        return output;
    }

    private static void CheckBackground(ReadOnlySpan<byte> background)
    {
        if (!background.IsEmpty && background.Length != 3) throw new ArgumentException("background needs 3 bytes (RGB)", nameof(background));
    }
}
