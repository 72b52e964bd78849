using System.Runtime.InteropServices;

namespace Platform.Training.Torch;

// Mirrors native/src/ops.h.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)] internal static partial IntPtr pt_add(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial IntPtr pt_sub(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial IntPtr pt_mul(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial IntPtr pt_div(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial IntPtr pt_add_scalar(TensorHandle a, double b);
    [LibraryImport(Library)] internal static partial IntPtr pt_mul_scalar(TensorHandle a, double b);
    [LibraryImport(Library)] internal static partial IntPtr pt_pow_scalar(TensorHandle a, double b);
    [LibraryImport(Library)] internal static partial IntPtr pt_rsub_scalar(TensorHandle a, double b);
    [LibraryImport(Library)] internal static partial IntPtr pt_neg(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_exp(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_log(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_sqrt(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_abs(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_tanh(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_sigmoid(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_relu(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_gelu(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_matmul(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial IntPtr pt_softmax(TensorHandle a, long dim);
    [LibraryImport(Library)] internal static partial IntPtr pt_log_softmax(TensorHandle a, long dim);
    [LibraryImport(Library)] internal static partial IntPtr pt_sum(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_sum_dim(TensorHandle a, long dim, int keepdim);
    [LibraryImport(Library)] internal static partial IntPtr pt_mean(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_mean_dim(TensorHandle a, long dim, int keepdim);
    [LibraryImport(Library)] internal static partial IntPtr pt_max(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_argmax(TensorHandle a, long dim, int keepdim);
    [LibraryImport(Library)] internal static partial IntPtr pt_eq(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial IntPtr pt_reshape(TensorHandle a, long[] shape, int ndim);
    [LibraryImport(Library)] internal static partial IntPtr pt_view(TensorHandle a, long[] shape, int ndim);
    [LibraryImport(Library)] internal static partial IntPtr pt_permute(TensorHandle a, long[] dims, int ndim);
    [LibraryImport(Library)] internal static partial IntPtr pt_transpose(TensorHandle a, long dim0, long dim1);
    [LibraryImport(Library)] internal static partial IntPtr pt_flatten(TensorHandle a, long start, long end);
    [LibraryImport(Library)] internal static partial IntPtr pt_unsqueeze(TensorHandle a, long dim);
    [LibraryImport(Library)] internal static partial IntPtr pt_squeeze(TensorHandle a, long dim);
    [LibraryImport(Library)] internal static partial IntPtr pt_contiguous(TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pt_select(TensorHandle a, long dim, long index);
    [LibraryImport(Library)] internal static partial IntPtr pt_slice(TensorHandle a, long dim, long start, long end, long step);
    [LibraryImport(Library)] internal static partial IntPtr pt_cat(IntPtr* tensors, int count, long dim);
    [LibraryImport(Library)] internal static partial IntPtr pt_stack(IntPtr* tensors, int count, long dim);
    [LibraryImport(Library)] internal static partial IntPtr pt_index_select(TensorHandle a, long dim, TensorHandle index);
    [LibraryImport(Library)] internal static partial IntPtr pt_masked_fill(TensorHandle a, TensorHandle mask, double value);
    [LibraryImport(Library)] internal static partial IntPtr pt_flip(TensorHandle a, long[] dims, int ndim);
}
