using Platform.Training.Models.Cnn;
using Platform.Training.Tests.Common;
using Platform.Training.Torch;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Models;

public sealed class CnnModelTests
{
    [Theory]
    [InlineData("cnn-28-grey", 1, 28)]
    [InlineData("mlp-28-grey", 1, 28)]
    [InlineData("cnn-32-rgb", 3, 32)]
    [InlineData("resnet-small", 3, 64)]
    public void Preset_Forward_GivesOneLogitPerLabel(string preset, int channels, int size)
    {
        using var scope = TorchApi.NewDisposeScope();
        var config = CnnConfig.FromPreset(preset, ["a", "b", "c"]);
        Assert.Equal(channels, config.InChannels);
        Assert.Equal(size, config.ImageHeight);
        using var model = new CnnClassifier(config);
        var logits = model.Forward(Tensor.Randn([2, channels, size, size]));
        Assert.Equal([2L, 3L], logits.Shape);
    }

    [Fact]
    public void Forward_TrainMode_UpdatesBatchNormRunningStatsButEvalDoesNot()
    {
        using var scope = TorchApi.NewDisposeScope();
        using var model = new CnnClassifier(CnnConfig.FromPreset("cnn-28-grey", ["a", "b"]));
        var stats = model.StateDict()["stages.0.0.bn.running_mean"];
        var before = stats.ToFloatArray();
        var images = Tensor.Randn([4, 1, 28, 28]) + 3.0;
        model.Eval();
        using (TorchApi.NoGrad()) model.Forward(images);
        Assert.Equal(before, stats.ToFloatArray());
        model.Train();
        model.Forward(images);
        Assert.NotEqual(before, stats.ToFloatArray());
        Assert.Equal(1L, model.StateDict()["stages.0.0.bn.num_batches_tracked"].ItemInt64());
    }

    [Fact]
    public void MlpPreset_Layers_AreFullyConnectedWithoutConvolutions()
    {
        using var model = new CnnClassifier(CnnConfig.FromPreset("mlp-28-grey", ["a", "b", "c"]));
        var shapes = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);

        Assert.Equal(["classifier.bias", "classifier.weight", "layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight"], shapes.Keys.Order());
        Assert.Equal([256L, 784], shapes["layers.0.weight"]);
        Assert.Equal([128L, 256], shapes["layers.1.weight"]);
        Assert.Equal([3L, 128], shapes["classifier.weight"]);
    }

    [Fact]
    public void SaveLoad_Folder_ReproducesLogitsAndConfig()
    {
        using var dir = new TestDirectory();
        using var scope = TorchApi.NewDisposeScope();
        using var model = new CnnClassifier(CnnConfig.FromPreset("resnet-small", ["x", "y"]));
        model.Eval();
        var images = Tensor.Randn([1, 3, 64, 64]);
        model.Save(dir.Path);
        using var loaded = CnnClassifier.Load(dir.Path);
        loaded.Eval();
        Assert.Equal("resnet-small", loaded.Config.Preset);
        Assert.Equal(["x", "y"], loaded.Config.Labels);
        Assert.Equal(model.Forward(images).ToFloatArray(), loaded.Forward(images).ToFloatArray());
    }

    [Fact]
    public void Forward_WrongInputSize_ThrowsTorchException()
    {
        using var scope = TorchApi.NewDisposeScope();
        using var model = new CnnClassifier(CnnConfig.FromPreset("cnn-28-grey", ["a", "b"]));
        Assert.Throws<TorchException>(() => model.Forward(Tensor.Randn([2, 1, 32, 32])));
    }

    [Fact]
    public void FromPreset_Unknown_Throws()
    {
        Assert.Throws<ArgumentException>(() => CnnConfig.FromPreset("vgg", ["a"]));
    }
}
