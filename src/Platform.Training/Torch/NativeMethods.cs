using System.Reflection;
using System.Runtime.InteropServices;

namespace Platform.Training.Torch;

internal static partial class NativeMethods
{
    internal const string Library = "platform_torch";
    private const string FileName = "libplatform_torch.so";

    // An explicit static constructor (no beforefieldinit) guarantees the resolver is registered
    // before the first P/Invoke of this class binds the library.
    static NativeMethods()
    {
        // libtorch's and OpenBLAS's OpenMP threads spin between parallel regions by default (GNU
        // OMP_WAIT_POLICY=active for a while); on a shared machine those spinning threads take the
        // cores the other threads need, and an epoch becomes over ten times slower. libgomp reads
        // the variable once, when it is loaded with the native library below, so it is set here
        // first, in the C environment (Environment.SetEnvironmentVariable does not reach getenv).
        // An operator's own setting wins (overwrite = 0).
        _ = setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);
        // Training re-allocates the same large buffers every step; keep them in the heap (see
        // pt_set_malloc_thresholds). PLATFORM_TORCH_MALLOC=default leaves glibc's settings alone.
        if (Environment.GetEnvironmentVariable("PLATFORM_TORCH_MALLOC") != "default")
        {
            pt_set_malloc_thresholds(64L << 20, 1L << 30);
        }
    }

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport(Library)]
    private static partial int pt_set_malloc_thresholds(long mmapThreshold, long trimThreshold);

    [LibraryImport(Library)]
    private static partial IntPtr pt_last_error();

    [LibraryImport(Library)]
    internal static partial void pt_clear_error();

    internal static string LastError()
    {
        var message = Marshal.PtrToStringUTF8(pt_last_error());
        return string.IsNullOrEmpty(message) ? "native call failed without a message" : message;
    }

    internal static TorchException Error() => new(LastError());

    internal static void Check(int ok)
    {
        if (ok == 0) throw Error();
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return IntPtr.Zero;
        foreach (var candidate in Candidates(assembly))
        {
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        }
        return IntPtr.Zero;
    }

    // Deployed apps carry the .so next to the assembly; tests and tools run from a checkout can
    // fall back to the CMake build folder, found by walking up from the assembly.
    private static IEnumerable<string> Candidates(Assembly assembly)
    {
        var explicitPath = Environment.GetEnvironmentVariable("PLATFORM_TORCH_NATIVE");
        if (!string.IsNullOrEmpty(explicitPath)) yield return explicitPath;
        var assemblyDir = Path.GetDirectoryName(assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDir)) yield return Path.Combine(assemblyDir, FileName);
        yield return Path.Combine(AppContext.BaseDirectory, FileName);
        for (var dir = assemblyDir; !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            yield return Path.Combine(dir, "src", "Platform.Training", "native", "build", FileName);
        }
    }
}
