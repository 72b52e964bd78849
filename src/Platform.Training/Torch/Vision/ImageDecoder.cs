namespace Platform.Training.Torch.Vision;

/// <summary>Decodes PNG/JPEG/BMP/GIF bytes natively (stb_image) into a normalised CHW float tensor.</summary>
public static class ImageDecoder
{
    public static unsafe (int Width, int Height, int Channels) Info(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            NativeMethods.Check(NativeMethods.pt_image_info(p, bytes.Length, out var w, out var h, out var c));
            return (w, h, c);
        }
    }

    /// <summary>
    /// Returns [channels, height, width] float32: pixels scaled to [0,1], resized to the target size,
    /// converted to 1 or 3 channels, then (x - mean) / std per channel. Corrupt data throws <see cref="TorchException"/>.
    /// </summary>
    public static unsafe Tensor Decode(ReadOnlySpan<byte> bytes, int channels, int height, int width,
        ReadOnlySpan<float> mean = default, ReadOnlySpan<float> std = default)
    {
        if (!mean.IsEmpty && mean.Length != channels) throw new ArgumentException("mean needs one value per channel", nameof(mean));
        if (!std.IsEmpty && std.Length != channels) throw new ArgumentException("std needs one value per channel", nameof(std));
        var output = new float[channels * height * width];
        fixed (byte* p = bytes)
        fixed (float* m = mean)
        fixed (float* s = std)
        fixed (float* o = output)
        {
            NativeMethods.Check(NativeMethods.pt_image_decode(p, bytes.Length, channels, height, width, m, s, o));
        }
        return Tensor.FromSpan(output, [channels, height, width]);
    }
}
