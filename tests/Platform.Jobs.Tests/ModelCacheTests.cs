using Microsoft.Extensions.Options;
using Platform.Jobs.Models;
using Platform.Training.Tests.Common;
using Platform.Training.Torch;
using Platform.Training.Training;

namespace Platform.Jobs.Tests;

public sealed class ModelCacheTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("platform-model-cache-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string CnnFolder(string name, params string[] labels)
    {
        var folder = Path.Combine(_root, name);
        using var model = CnnImageClassifier.ForTraining("cnn-28-grey", labels, Device.Cpu);
        model.Save(folder);
        return folder;
    }

    private static byte[] Image() => TestData.GreyPng(28, 28, Enumerable.Repeat((byte)128, 28 * 28).ToArray());

    [Fact]
    public async Task PredictImage_CnnFolder_ReturnsScoresOverTheModelsLabels()
    {
        using var cache = new ModelCache(Options.Create(new ModelCacheOptions()));
        var folder = CnnFolder("a", "cat", "dog", "fox");

        var prediction = (await cache.PredictImageAsync(folder, "x.png", Image())).Single();

        Assert.Equal(["cat", "dog", "fox"], prediction.Scores.Keys.Order());
        Assert.Equal(1.0, prediction.Scores.Values.Sum(), 5);
        Assert.Equal(prediction.Scores.MaxBy(s => s.Value).Key, prediction.Label);
    }

    [Fact]
    public async Task Predict_MoreModelsThanCapacity_KeepsOnlyCapacityLoaded()
    {
        using var cache = new ModelCache(Options.Create(new ModelCacheOptions { Capacity = 2 }));
        var folders = new[] { CnnFolder("a", "x", "y"), CnnFolder("b", "x", "y"), CnnFolder("c", "x", "y") };

        foreach (var folder in folders)
            await cache.PredictImageAsync(folder, "x.png", Image());

        Assert.Equal(2, cache.Count);
        // An evicted model loads again on demand.
        Assert.Single(await cache.PredictImageAsync(folders[0], "x.png", Image()));
    }

    [Fact]
    public async Task PredictText_ImageModel_IsRefusedClearly()
    {
        using var cache = new ModelCache(Options.Create(new ModelCacheOptions()));
        var folder = CnnFolder("a", "x", "y");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.PredictTextAsync(folder, ["hello"]));

        Assert.Contains("images", error.Message);
    }
}
