namespace Platform.Training.Torch;

/// <summary>Process-wide libtorch settings and helpers.</summary>
public static class Torch
{
    public static bool CudaIsAvailable => CudaDeviceCount > 0;

    public static int CudaDeviceCount => NativeMethods.pt_cuda_device_count() is var n && n >= 0 ? n : throw NativeMethods.Error();

    /// <summary>Tensors alive on the native side (created and not yet freed), across all threads.</summary>
    public static long LiveTensorCount => TensorHandle.Live;

    public static DisposeScope NewDisposeScope() => new();

    /// <summary>Disables autograd on this thread until disposed (torch.no_grad()).</summary>
    public static IDisposable NoGrad() => new GradModeScope(enabled: false);

    public static IDisposable EnableGrad() => new GradModeScope(enabled: true);

    public static bool IsGradEnabled => NativeMethods.pt_grad_enabled() == 1;

    /// <summary>Seeds libtorch's default CPU generator and every CUDA generator (a run of its own uses a <see cref="Generator"/>).</summary>
    public static void ManualSeed(ulong seed) => NativeMethods.Check(NativeMethods.pt_manual_seed(seed));

    /// <summary>Seeds the generator of <paramref name="device"/> when it is a GPU, and no other: a run seeds its own device only.</summary>
    public static void ManualSeed(ulong seed, Device device)
    {
        if (device.Type == DeviceType.Cuda)
            NativeMethods.Check(NativeMethods.pt_cuda_manual_seed(device.Index, seed));
    }

    /// <summary>Intra-op threads; libtorch defaults to 1 on some builds, so set it explicitly.</summary>
    public static int NumThreads
    {
        get => NativeMethods.pt_get_num_threads();
        set => NativeMethods.Check(NativeMethods.pt_set_num_threads(value));
    }

    /// <summary>
    /// The state of the generator draws come from (the active <see cref="Generator"/>, else libtorch's
    /// default CPU one), for exact resume of initialisation and dropout.
    /// </summary>
    public static byte[] GetRngState()
    {
        if (Generator.Current is { } generator)
            return generator.GetState();
        using var state = new Tensor(NativeMethods.pt_rng_get_state());
        var bytes = new byte[state.NumberOfElements];
        state.CopyTo(bytes, ScalarType.Byte);
        return bytes;
    }

    public static void SetRngState(ReadOnlySpan<byte> state)
    {
        if (Generator.Current is { } generator)
        {
            generator.SetState(state);
            return;
        }
        using var tensor = Tensor.FromBytes(state, state.Length, [state.Length], ScalarType.Byte);
        NativeMethods.Check(NativeMethods.pt_rng_set_state(tensor.Handle));
    }

    /// <summary>
    /// Paths of the BLAS libraries mapped into this process. Used to verify that the OpenMP OpenBLAS
    /// backs libtorch: Debian's reference BLAS makes matmul about 20x slower.
    /// </summary>
    public static IReadOnlyList<string> LoadedBlasLibraries()
    {
        _ = CudaDeviceCount; // forces libtorch (and its BLAS) to be loaded
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return [];
        return File.ReadLines(maps)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length >= 6 && parts[5].Contains("blas", StringComparison.OrdinalIgnoreCase))
            .Select(parts => ResolveLink(parts[5]))
            .Distinct()
            .ToList();
    }

    private static string ResolveLink(string path)
    {
        try
        {
            return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        }
        catch (IOException)
        {
            return path;
        }
    }

    private sealed class GradModeScope : IDisposable
    {
        private readonly int previous;
        private bool disposed;

        public GradModeScope(bool enabled) => previous = NativeMethods.pt_set_grad_enabled(enabled ? 1 : 0);

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            NativeMethods.pt_set_grad_enabled(previous);
        }
    }
}
