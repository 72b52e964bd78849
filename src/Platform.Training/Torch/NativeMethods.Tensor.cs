using System.Runtime.InteropServices;

namespace Platform.Training.Torch;

// Mirrors native/src/tensor.h.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)] internal static partial void pt_tensor_free(IntPtr t);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_from_data(void* data, long[] shape, int ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] internal static partial int pt_tensor_copy_to(TensorHandle t, void* dst, long numel, int dtype);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_zeros(long[] shape, int ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_ones(long[] shape, int ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_full(long[] shape, int ndim, double value, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_randn(long[] shape, int ndim, int dtype, int deviceType, int deviceIndex, IntPtr generator);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_rand(long[] shape, int ndim, int dtype, int deviceType, int deviceIndex, IntPtr generator);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_randint(long low, long high, long[] shape, int ndim, int dtype, int deviceType, int deviceIndex, IntPtr generator);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_arange(long end, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_randperm(long n, int deviceType, int deviceIndex, IntPtr generator);
    [LibraryImport(Library)] internal static partial int pt_tensor_ndim(TensorHandle t);
    [LibraryImport(Library)] internal static partial int pt_tensor_shape(TensorHandle t, long[] shape);
    [LibraryImport(Library)] internal static partial long pt_tensor_numel(TensorHandle t);
    [LibraryImport(Library)] internal static partial int pt_tensor_dtype(TensorHandle t);
    [LibraryImport(Library)] internal static partial int pt_tensor_device(TensorHandle t, out int type, out int index);
    [LibraryImport(Library)] internal static partial int pt_tensor_item(TensorHandle t, out double value);
    [LibraryImport(Library)] internal static partial int pt_tensor_item_long(TensorHandle t, out long value);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_to(TensorHandle t, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_clone(TensorHandle t);
    [LibraryImport(Library)] internal static partial IntPtr pt_tensor_detach(TensorHandle t);
    [LibraryImport(Library)] internal static partial int pt_tensor_requires_grad(TensorHandle t);
    [LibraryImport(Library)] internal static partial int pt_tensor_set_requires_grad(TensorHandle t, int requires);
    [LibraryImport(Library)] internal static partial int pt_tensor_grad(TensorHandle t, out IntPtr grad);
    [LibraryImport(Library)] internal static partial int pt_tensor_zero_grad(TensorHandle t);
    [LibraryImport(Library)] internal static partial int pt_tensor_backward(TensorHandle t);
    [LibraryImport(Library)] internal static partial int pt_tensor_zero_(TensorHandle t);
    [LibraryImport(Library)] internal static partial int pt_tensor_fill_(TensorHandle t, double value);
    [LibraryImport(Library)] internal static partial int pt_tensor_normal_(TensorHandle t, double mean, double std, IntPtr generator);
    [LibraryImport(Library)] internal static partial int pt_tensor_uniform_(TensorHandle t, double from, double to, IntPtr generator);
    [LibraryImport(Library)] internal static partial int pt_tensor_copy_(TensorHandle dst, TensorHandle src);
    [LibraryImport(Library)] internal static partial int pt_tensor_set_data(TensorHandle dst, TensorHandle src);
    [LibraryImport(Library)] internal static partial int pt_tensor_add_scalar_(TensorHandle t, double value);
    [LibraryImport(Library)] internal static partial int pt_tensor_allclose(TensorHandle a, TensorHandle b, double rtol, double atol);

    [LibraryImport(Library)] internal static partial int pt_cuda_device_count();
    [LibraryImport(Library)] internal static partial int pt_manual_seed(ulong seed);
    [LibraryImport(Library)] internal static partial int pt_set_num_threads(int threads);
    [LibraryImport(Library)] internal static partial int pt_get_num_threads();
    [LibraryImport(Library)] internal static partial int pt_grad_enabled();
    [LibraryImport(Library)] internal static partial int pt_set_grad_enabled(int enabled);
    [LibraryImport(Library)] internal static partial IntPtr pt_rng_get_state();
    [LibraryImport(Library)] internal static partial int pt_rng_set_state(TensorHandle state);
    [LibraryImport(Library)] internal static partial IntPtr pt_generator_new(ulong seed);
    [LibraryImport(Library)] internal static partial void pt_generator_free(IntPtr generator);
    [LibraryImport(Library)] internal static partial IntPtr pt_generator_get_state(IntPtr generator);
    [LibraryImport(Library)] internal static partial int pt_generator_set_state(IntPtr generator, TensorHandle state);
    [LibraryImport(Library)] internal static partial int pt_cuda_manual_seed(int deviceIndex, ulong seed);
}
