using System.Runtime.InteropServices;
using Platform.Training.Torch;

namespace Platform.Training.Distributed;

/// <summary>Owns a native c10d TCPStore (through the shim's holder).</summary>
internal sealed class StoreHandle : SafeHandle
{
    public StoreHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.pt_dist_store_free(handle);
        return true;
    }
}

/// <summary>Owns a native c10d ProcessGroupGloo (through the shim's holder).</summary>
internal sealed class GroupHandle : SafeHandle
{
    public GroupHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.pt_dist_group_free(handle);
        return true;
    }
}
