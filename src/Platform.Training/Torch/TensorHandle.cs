using System.Runtime.InteropServices;

namespace Platform.Training.Torch;

/// <summary>Owns one native at::Tensor reference; also the source of the live-tensor count.</summary>
internal sealed class TensorHandle : SafeHandle
{
    private static long live;

    public TensorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal TensorHandle(IntPtr raw) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(raw);
        Interlocked.Increment(ref live);
    }

    /// <summary>Passed where libtorch takes an optional tensor (c10::nullopt on the native side).</summary>
    internal static TensorHandle Null { get; } = new();

    internal static long Live => Interlocked.Read(ref live);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.pt_tensor_free(handle);
        Interlocked.Decrement(ref live);
        return true;
    }
}
