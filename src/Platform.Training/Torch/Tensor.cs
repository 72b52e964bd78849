namespace Platform.Training.Torch;

/// <summary>
/// A libtorch tensor. Dispose it, or create it inside a <see cref="DisposeScope"/> that frees it; a
/// finaliser is only the last resort because native memory is invisible to the GC.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private DisposeScope? scope;

    internal Tensor(IntPtr raw)
    {
        if (raw == IntPtr.Zero) throw NativeMethods.Error();
        Handle = new TensorHandle(raw);
        scope = DisposeScope.Current;
        scope?.Attach(this);
    }

    internal TensorHandle Handle { get; }

    public bool IsDisposed => Handle.IsClosed;

    public long[] Shape
    {
        get
        {
            var ndim = NativeMethods.pt_tensor_ndim(Handle);
            if (ndim < 0) throw NativeMethods.Error();
            var shape = new long[ndim];
            NativeMethods.Check(NativeMethods.pt_tensor_shape(Handle, shape));
            return shape;
        }
    }

    public int Dim => NativeMethods.pt_tensor_ndim(Handle) is var n && n >= 0 ? n : throw NativeMethods.Error();

    public long NumberOfElements => NativeMethods.pt_tensor_numel(Handle) is var n && n >= 0 ? n : throw NativeMethods.Error();

    public ScalarType DType => NativeMethods.pt_tensor_dtype(Handle) is var t && t >= 0 ? (ScalarType)t : throw NativeMethods.Error();

    public Device Device
    {
        get
        {
            NativeMethods.Check(NativeMethods.pt_tensor_device(Handle, out var type, out var index));
            return new Device((DeviceType)type, index);
        }
    }

    public long Size(int dim)
    {
        var shape = Shape;
        return shape[dim < 0 ? shape.Length + dim : dim];
    }

    public bool RequiresGrad
    {
        get => NativeMethods.pt_tensor_requires_grad(Handle) is var r && r >= 0 ? r == 1 : throw NativeMethods.Error();
        set => NativeMethods.Check(NativeMethods.pt_tensor_set_requires_grad(Handle, value ? 1 : 0));
    }

    /// <summary>The accumulated gradient as a new handle (owned by the caller / current scope), or null.</summary>
    public Tensor? Grad
    {
        get
        {
            NativeMethods.Check(NativeMethods.pt_tensor_grad(Handle, out var grad));
            return grad == IntPtr.Zero ? null : new Tensor(grad);
        }
    }

    public void Backward() => NativeMethods.Check(NativeMethods.pt_tensor_backward(Handle));

    /// <summary>Drops the gradient (PyTorch's set_to_none), so the next backward allocates it afresh.</summary>
    public void ZeroGrad() => NativeMethods.Check(NativeMethods.pt_tensor_zero_grad(Handle));

    public double Item()
    {
        NativeMethods.Check(NativeMethods.pt_tensor_item(Handle, out var value));
        return value;
    }

    public long ItemInt64()
    {
        NativeMethods.Check(NativeMethods.pt_tensor_item_long(Handle, out var value));
        return value;
    }

    /// <summary>Removes this tensor from its dispose scope and hands it to the enclosing one (or to the caller).</summary>
    public Tensor MoveToOuterScope()
    {
        var current = scope;
        if (current is null) return this;
        current.Detach(this);
        scope = current.Parent;
        scope?.Attach(this);
        return this;
    }

    /// <summary>Removes this tensor from every dispose scope: the caller now owns it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        scope?.Detach(this);
        scope = null;
        return this;
    }

    public void Dispose()
    {
        scope?.Detach(this);
        scope = null;
        Handle.Dispose();
    }

    public override string ToString() => IsDisposed ? "Tensor(disposed)" : $"Tensor([{string.Join(", ", Shape)}], {DType}, {Device})";
}
