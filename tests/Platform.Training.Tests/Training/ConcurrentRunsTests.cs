using Platform.Training.SafeTensors;
using Platform.Training.Tests.Common;
using Platform.Training.Training;

namespace Platform.Training.Tests.Training;

/// <summary>
/// Two runs in one process at once, as a worker with two slots runs two jobs: each draws from its own
/// generator, so each ends exactly where it ends alone (with libtorch's one process-wide generator
/// the two runs' initialisations and dropout masks interleaved, and neither could be replayed).
/// </summary>
[Collection(TrainerCollection.Name)]
public sealed class ConcurrentRunsTests
{
    [Fact]
    public void Train_TwoRunsAtOnce_EachEndsBitIdenticalToItsRunAlone()
    {
        using var dir = new TestDirectory();
        var (bert, text, images) = Inputs(dir);
        var textOptions = new TrainingOptions { Epochs = 2, BatchSize = 6, LearningRate = 1e-3, Threads = 1, Seed = 11 };
        var imageOptions = new TrainingOptions { Epochs = 2, BatchSize = 5, LearningRate = 1e-3, Threads = 1, Seed = 12, HorizontalFlip = true };

        var textAlone = Trainer.Train(new TrainingRequest(text, bert, dir.File("text-alone"), textOptions));
        var otherTextAlone = Trainer.Train(new TrainingRequest(text, bert, dir.File("text2-alone"), textOptions with { Seed = 13 }));
        var imageAlone = Trainer.Train(new TrainingRequest(images, "cnn-28-grey", dir.File("images-alone"), imageOptions));

        var together = RunTogether(
            () => Trainer.Train(new TrainingRequest(text, bert, dir.File("text-together"), textOptions)),
            () => Trainer.Train(new TrainingRequest(text, bert, dir.File("text2-together"), textOptions with { Seed = 13 })),
            () => Trainer.Train(new TrainingRequest(images, "cnn-28-grey", dir.File("images-together"), imageOptions)));

        AssertSameRun(textAlone, together[0]);
        AssertSameRun(otherTextAlone, together[1]);
        AssertSameRun(imageAlone, together[2]);
        // Different seeds train differently, or equal results would prove nothing.
        Assert.NotEqual(textAlone.Metrics.History[0].TrainLoss, otherTextAlone.Metrics.History[0].TrainLoss);
    }

    [Fact]
    public void Train_ResumedBesideAnotherRun_EndsBitIdenticalToAStraightRun()
    {
        using var dir = new TestDirectory();
        var (bert, text, images) = Inputs(dir);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 6, LearningRate = 1e-3, Threads = 1, CheckpointEverySteps = 4 };
        var straight = Trainer.Train(new TrainingRequest(text, bert, dir.File("straight"), options));
        using var cancellation = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(
            new TrainingRequest(text, bert, dir.File("interrupted"), options),
            new TrainingCallbacks { Progress = p => { if (p.Step == 5) cancellation.Cancel(); } },
            cancellation.Token));

        var together = RunTogether(
            () => Trainer.Train(new TrainingRequest(text, bert, dir.File("interrupted"), options)),
            () => Trainer.Train(new TrainingRequest(images, "cnn-28-grey", dir.File("neighbour"),
                new TrainingOptions { Epochs = 3, BatchSize = 5, LearningRate = 1e-3, Threads = 1, HorizontalFlip = true })));

        Assert.True(together[0].Resumed);
        AssertSameRun(straight, together[0]);
    }

    private static (string Bert, string Text, string Images) Inputs(TestDirectory dir)
    {
        TestData.WriteTinyBertConfig(dir.File("bert-config.json"));
        TestData.WriteVocabulary(dir.File("bert-vocab.txt"));
        var bert = dir.File("base");
        BertClassifier.Initialise(dir.File("bert-config.json"), dir.File("bert-vocab.txt"), ["LABEL_0", "LABEL_1"], bert, seed: 7);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 40);
        TestData.WriteImageFolders(dir.File("images"), perLabel: 12);
        return (bert, dir.File("train.csv"), dir.File("images"));
    }

    /// <summary>Starts every run on its own thread at the same moment, as worker slots do, and waits for all.</summary>
    private static TrainingResult[] RunTogether(params Func<TrainingResult>[] runs)
    {
        using var start = new Barrier(runs.Length);
        var tasks = runs.Select(run => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            return run();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        Task.WaitAll(tasks);
        return tasks.Select(t => t.Result).ToArray();
    }

    private static void AssertSameRun(TrainingResult expected, TrainingResult actual)
    {
        Assert.Equal(expected.Steps, actual.Steps);
        Assert.Equal(expected.Metrics.History.Select(h => h.TrainLoss), actual.Metrics.History.Select(h => h.TrainLoss));
        var want = SafeTensorsFile.Read(Path.Combine(expected.ModelDirectory, "model.safetensors"));
        var got = SafeTensorsFile.Read(Path.Combine(actual.ModelDirectory, "model.safetensors"));
        Assert.Equal(want.Tensors.Select(t => t.Name), got.Tensors.Select(t => t.Name));
        foreach (var tensor in want.Tensors.Where(t => t.DType == SafeTensorsDType.F32))
            Assert.True(tensor.ToFloat32().SequenceEqual(got[tensor.Name].ToFloat32()), $"{tensor.Name} differs from the run alone");
    }
}
