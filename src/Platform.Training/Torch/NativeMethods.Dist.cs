using System.Runtime.InteropServices;
using Platform.Training.Distributed;

namespace Platform.Training.Torch;

// Mirrors native/src/dist.h. A failed constructor returns an invalid (zero) handle.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoreHandle pt_dist_store_new(string host, int port, int isMaster, int worldSize, long timeoutMs);

    [LibraryImport(Library)] internal static partial void pt_dist_store_free(IntPtr store);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial GroupHandle pt_dist_group_new(StoreHandle store, int rank, int worldSize, string? networkInterface, string? hostname, long timeoutMs);

    [LibraryImport(Library)] internal static partial void pt_dist_group_free(IntPtr group);
    [LibraryImport(Library)] internal static partial int pt_dist_all_reduce(GroupHandle group, IntPtr* tensors, int count, int ofGrads, double scale);
    [LibraryImport(Library)] internal static partial int pt_dist_broadcast(GroupHandle group, IntPtr* tensors, int count, int root);
    [LibraryImport(Library)] internal static partial int pt_dist_barrier(GroupHandle group);
}
