namespace Platform.Training.Torch;

public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => new(NativeMethods.pt_add(a.Handle, b.Handle));
    public static Tensor operator -(Tensor a, Tensor b) => new(NativeMethods.pt_sub(a.Handle, b.Handle));
    public static Tensor operator *(Tensor a, Tensor b) => new(NativeMethods.pt_mul(a.Handle, b.Handle));
    public static Tensor operator /(Tensor a, Tensor b) => new(NativeMethods.pt_div(a.Handle, b.Handle));
    public static Tensor operator +(Tensor a, double b) => new(NativeMethods.pt_add_scalar(a.Handle, b));
    public static Tensor operator -(Tensor a, double b) => new(NativeMethods.pt_add_scalar(a.Handle, -b));
    public static Tensor operator *(Tensor a, double b) => new(NativeMethods.pt_mul_scalar(a.Handle, b));
    public static Tensor operator /(Tensor a, double b) => new(NativeMethods.pt_mul_scalar(a.Handle, 1.0 / b));
    public static Tensor operator -(double a, Tensor b) => new(NativeMethods.pt_rsub_scalar(b.Handle, a));
    public static Tensor operator -(Tensor a) => new(NativeMethods.pt_neg(a.Handle));

    public Tensor Pow(double exponent) => new(NativeMethods.pt_pow_scalar(Handle, exponent));
    public Tensor Exp() => new(NativeMethods.pt_exp(Handle));
    public Tensor Log() => new(NativeMethods.pt_log(Handle));
    public Tensor Sqrt() => new(NativeMethods.pt_sqrt(Handle));
    public Tensor Abs() => new(NativeMethods.pt_abs(Handle));
    public Tensor Tanh() => new(NativeMethods.pt_tanh(Handle));
    public Tensor Sigmoid() => new(NativeMethods.pt_sigmoid(Handle));
    public Tensor Relu() => new(NativeMethods.pt_relu(Handle));
    public Tensor Gelu() => new(NativeMethods.pt_gelu(Handle));
    public Tensor MatMul(Tensor other) => new(NativeMethods.pt_matmul(Handle, other.Handle));
    public Tensor Softmax(long dim) => new(NativeMethods.pt_softmax(Handle, dim));
    public Tensor LogSoftmax(long dim) => new(NativeMethods.pt_log_softmax(Handle, dim));
    public Tensor Sum() => new(NativeMethods.pt_sum(Handle));
    public Tensor Sum(long dim, bool keepDim = false) => new(NativeMethods.pt_sum_dim(Handle, dim, keepDim ? 1 : 0));
    public Tensor Mean() => new(NativeMethods.pt_mean(Handle));
    public Tensor Mean(long dim, bool keepDim = false) => new(NativeMethods.pt_mean_dim(Handle, dim, keepDim ? 1 : 0));
    public Tensor Max() => new(NativeMethods.pt_max(Handle));
    public Tensor ArgMax(long dim, bool keepDim = false) => new(NativeMethods.pt_argmax(Handle, dim, keepDim ? 1 : 0));
    public Tensor Eq(Tensor other) => new(NativeMethods.pt_eq(Handle, other.Handle));

    public Tensor Reshape(params long[] shape) => new(NativeMethods.pt_reshape(Handle, shape, shape.Length));
    public Tensor View(params long[] shape) => new(NativeMethods.pt_view(Handle, shape, shape.Length));
    public Tensor Permute(params long[] dims) => new(NativeMethods.pt_permute(Handle, dims, dims.Length));
    public Tensor Transpose(long dim0, long dim1) => new(NativeMethods.pt_transpose(Handle, dim0, dim1));
    public Tensor Flatten(long startDim = 0, long endDim = -1) => new(NativeMethods.pt_flatten(Handle, startDim, endDim));
    public Tensor Unsqueeze(long dim) => new(NativeMethods.pt_unsqueeze(Handle, dim));
    public Tensor Squeeze(long dim) => new(NativeMethods.pt_squeeze(Handle, dim));
    public Tensor Contiguous() => new(NativeMethods.pt_contiguous(Handle));
    public Tensor Select(long dim, long index) => new(NativeMethods.pt_select(Handle, dim, index));
    public Tensor Slice(long dim, long start, long end, long step = 1) => new(NativeMethods.pt_slice(Handle, dim, start, end, step));
    public Tensor IndexSelect(long dim, Tensor index) => new(NativeMethods.pt_index_select(Handle, dim, index.Handle));
    public Tensor MaskedFill(Tensor mask, double value) => new(NativeMethods.pt_masked_fill(Handle, mask.Handle, value));
    public Tensor Flip(params long[] dims) => new(NativeMethods.pt_flip(Handle, dims, dims.Length));

    public Tensor To(ScalarType dtype) => To(dtype, Device);
    public Tensor To(Device device) => To(DType, device);
    public Tensor To(ScalarType dtype, Device device) => new(NativeMethods.pt_tensor_to(Handle, (int)dtype, (int)device.Type, device.Index));
    public Tensor Clone() => new(NativeMethods.pt_tensor_clone(Handle));

    /// <summary>A view sharing storage but cut from the autograd graph (torch's .detach()).</summary>
    public Tensor Detach() => new(NativeMethods.pt_tensor_detach(Handle));

    public Tensor Zero_() { NativeMethods.Check(NativeMethods.pt_tensor_zero_(Handle)); return this; }
    public Tensor Fill_(double value) { NativeMethods.Check(NativeMethods.pt_tensor_fill_(Handle, value)); return this; }
    public Tensor Normal_(double mean, double std) { NativeMethods.Check(NativeMethods.pt_tensor_normal_(Handle, mean, std, Generator.CurrentHandle)); return this; }
    public Tensor Uniform_(double from, double to) { NativeMethods.Check(NativeMethods.pt_tensor_uniform_(Handle, from, to, Generator.CurrentHandle)); return this; }
    public Tensor Add_(double value) { NativeMethods.Check(NativeMethods.pt_tensor_add_scalar_(Handle, value)); return this; }

    /// <summary>Replaces the data behind this tensor (keeping its identity and autograd leaf status).</summary>
    public void SetData(Tensor source) => NativeMethods.Check(NativeMethods.pt_tensor_set_data(Handle, source.Handle));

    public Tensor Copy_(Tensor source) { NativeMethods.Check(NativeMethods.pt_tensor_copy_(Handle, source.Handle)); return this; }

    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8) =>
        NativeMethods.pt_tensor_allclose(Handle, other.Handle, rtol, atol) is var r && r >= 0 ? r == 1 : throw NativeMethods.Error();

    public static unsafe Tensor Cat(IReadOnlyList<Tensor> tensors, long dim) => Combine(tensors, dim, stack: false);

    public static unsafe Tensor Stack(IReadOnlyList<Tensor> tensors, long dim) => Combine(tensors, dim, stack: true);

    private static unsafe Tensor Combine(IReadOnlyList<Tensor> tensors, long dim, bool stack)
    {
        using var pinned = new PinnedTensors(tensors);
        fixed (IntPtr* p = pinned.Raw)
        {
            return new Tensor(stack ? NativeMethods.pt_stack(p, pinned.Raw.Length, dim) : NativeMethods.pt_cat(p, pinned.Raw.Length, dim));
        }
    }
}
