using System.Runtime.InteropServices;

namespace Platform.Training.Torch;

// Mirrors native/src/nn.h and native/src/image.h. Optional tensors are passed as a null handle.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)] internal static partial IntPtr pt_linear(TensorHandle input, TensorHandle weight, TensorHandle bias);
    [LibraryImport(Library)] internal static partial IntPtr pt_layer_norm(TensorHandle input, long[] shape, int ndim, TensorHandle weight, TensorHandle bias, double eps);
    [LibraryImport(Library)] internal static partial IntPtr pt_embedding(TensorHandle weight, TensorHandle indices, long paddingIdx);
    [LibraryImport(Library)] internal static partial IntPtr pt_dropout(TensorHandle input, double p, int train, IntPtr generator);
    [LibraryImport(Library)] internal static partial IntPtr pt_conv2d(TensorHandle input, TensorHandle weight, TensorHandle bias, long[] stride, long[] padding, long[] dilation, long groups);
    [LibraryImport(Library)] internal static partial IntPtr pt_batch_norm(TensorHandle input, TensorHandle weight, TensorHandle bias, TensorHandle runningMean, TensorHandle runningVar, int training, double momentum, double eps);
    [LibraryImport(Library)] internal static partial IntPtr pt_max_pool2d(TensorHandle input, long[] kernel, long[] stride, long[] padding);
    [LibraryImport(Library)] internal static partial IntPtr pt_avg_pool2d(TensorHandle input, long[] kernel, long[] stride, long[] padding);
    [LibraryImport(Library)] internal static partial IntPtr pt_adaptive_avg_pool2d(TensorHandle input, long[] outputSize);
    [LibraryImport(Library)] internal static partial IntPtr pt_adaptive_max_pool2d(TensorHandle input, long[] outputSize);
    [LibraryImport(Library)] internal static partial IntPtr pt_cross_entropy(TensorHandle logits, TensorHandle target, double labelSmoothing);
    [LibraryImport(Library)] internal static partial int pt_adamw_step(TensorHandle param, TensorHandle expAvg, TensorHandle expAvgSq, double lr, double beta1, double beta2, double eps, double weightDecay, long step);
    [LibraryImport(Library)] internal static partial int pt_clip_grad_norm(IntPtr* parameters, int count, double maxNorm, out double totalNorm);

    [LibraryImport(Library)] internal static partial int pt_image_info(byte* bytes, int length, out int width, out int height, out int channels);
    [LibraryImport(Library)] internal static partial int pt_image_verify(byte* bytes, int length, int maxSide, out int width, out int height, out int channels);
    [LibraryImport(Library)] internal static partial int pt_image_decode(byte* bytes, int length, int channels, int height, int width, float* mean, float* std, byte* background, int maxSide, float* output);
    [LibraryImport(Library)] internal static partial int pt_image_preview(byte* bytes, int length, int channels, int height, int width, byte* background, int maxSide, byte* output);
}
