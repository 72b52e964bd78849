using Platform.Training.Torch;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Torch;

[Collection(LiveTensorCollection.Name)] // seeds the process-wide generator: nothing may draw meanwhile
public sealed class RandomTests
{
    [Fact]
    public void ManualSeed_SameSeed_SameDraws()
    {
        using var scope = TorchApi.NewDisposeScope();
        TorchApi.ManualSeed(123);
        var a = Tensor.Randn([16]).ToFloatArray();
        TorchApi.ManualSeed(123);
        var b = Tensor.Randn([16]).ToFloatArray();
        TorchApi.ManualSeed(124);
        var c = Tensor.Randn([16]).ToFloatArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void SetRngState_RestoredState_ReplaysDropoutMask()
    {
        using var scope = TorchApi.NewDisposeScope();
        TorchApi.ManualSeed(7);
        _ = Tensor.Rand([10]);
        var state = TorchApi.GetRngState();
        var ones = Tensor.Ones([64]);
        var first = Functional.Dropout(ones, 0.5, training: true).ToFloatArray();
        var other = Functional.Dropout(ones, 0.5, training: true).ToFloatArray();
        TorchApi.SetRngState(state);
        var replay = Functional.Dropout(ones, 0.5, training: true).ToFloatArray();
        Assert.Equal(first, replay);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void NumThreads_Set_IsReported()
    {
        var previous = TorchApi.NumThreads;
        TorchApi.NumThreads = 2;
        Assert.Equal(2, TorchApi.NumThreads);
        TorchApi.NumThreads = previous;
    }

    [Fact]
    public void LoadedBlasLibraries_IsOpenMpOpenBlas()
    {
        var libraries = TorchApi.LoadedBlasLibraries();
        Assert.Contains(libraries, path => path.Contains("openblas", StringComparison.OrdinalIgnoreCase));
        // Debian's reference BLAS lives in .../blas/libblas.so.3; it must not be what resolved.
        Assert.DoesNotContain(libraries, path => path.Contains("/blas/libblas", StringComparison.Ordinal));
    }

    [Fact]
    public void Device_Parse_AcceptsKnownNames()
    {
        Assert.Equal(Device.Cpu, Device.Parse("cpu"));
        Assert.Equal(Device.Cuda(1), Device.Parse("cuda:1"));
        Assert.Equal(TorchApi.CudaIsAvailable ? Device.Cuda() : Device.Cpu, Device.Parse("auto"));
        Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
    }
}
