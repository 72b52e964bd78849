using System.Text.Json;
using Platform.Training.Metrics;
using Platform.Training.SafeTensors;
using Platform.Training.Tests.Common;
using Platform.Training.Training;

namespace Platform.Training.Tests.Training;

// libtorch's generator and thread count are process-wide, so the trainer tests never run in parallel.
[Collection(TrainerCollection.Name)]
public sealed class TrainerTests
{
    [Fact]
    public void Train_TinyBertOnCsv_WritesHuggingFaceFolderAndMetrics()
    {
        using var dir = new TestDirectory();
        var baseModel = TinyBert(dir);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 60);
        var output = dir.File("out");

        var result = Trainer.Train(new TrainingRequest(dir.File("train.csv"), baseModel, output,
            new TrainingOptions { Epochs = 2, BatchSize = 8, LearningRate = 1e-3, Threads = 1, ValidationFraction = 0.2 }));

        Assert.Equal(2, result.EpochsCompleted);
        Assert.Equal(2 * 6, result.Steps);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json")));
        Assert.Equal("neg", config.RootElement.GetProperty("id2label").GetProperty("0").GetString());
        Assert.Equal(1, config.RootElement.GetProperty("label2id").GetProperty("pos").GetInt32());
        Assert.True(File.Exists(Path.Combine(output, "vocab.txt")));
        using var tokenizerConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "tokenizer_config.json")));
        Assert.True(tokenizerConfig.RootElement.GetProperty("do_lower_case").GetBoolean());
        var weights = SafeTensorsFile.Read(Path.Combine(output, "model.safetensors"));
        Assert.Equal([2L, 16], weights["classifier.weight"].Shape);
        Assert.True(weights.TryGet("bert.encoder.layer.1.output.LayerNorm.weight", out _));
        Assert.Equal("pt", weights.Metadata["format"]);
        var metrics = MetricsFile.Read(Path.Combine(output, MetricsFile.FileName));
        Assert.Equal(12, metrics.Evaluation.Count);
        Assert.Equal(2, metrics.History.Count);
        Assert.All(metrics.History, e => Assert.NotNull(e.ValidationLoss));
        // Each validation row's prediction and scores, and the text of the ones it got wrong.
        var predictions = ValidationPredictions.Parse(File.ReadAllText(Path.Combine(output, ValidationPredictions.FileName)), "predictions");
        Assert.Equal(12, predictions.Examples.Count);
        Assert.Equal(metrics.Evaluation.Accuracy, predictions.Examples.Count(e => e.Correct) / 12.0, 12);
        Assert.All(predictions.Examples, e => Assert.StartsWith("line ", e.Id));
        Assert.All(predictions.Examples, e => Assert.Equal(e.Correct ? null : e.Text, e.Text));
        Assert.All(predictions.Misclassified, e => Assert.Contains(" ", e.Text));

        // The ONNX and int8 exports, scored in ONNX Runtime on the same 12 validation rows.
        var serving = Platform.Training.Onnx.ServingReport.Read(output)!;
        Assert.Equal(["platform", "onnx", "int8"], serving.Variants.Select(v => v.Variant));
        Assert.Equal(12, serving.Examples);
        Assert.Equal(metrics.Evaluation.Accuracy, serving.Find("onnx")!.Accuracy);
        Assert.True(serving.Find("int8")!.Bytes < serving.Find("onnx")!.Bytes);
    }

    [Fact]
    public void Train_BertInterruptedThenResumed_EndsWithSameWeights()
    {
        using var dir = new TestDirectory();
        var baseModel = TinyBert(dir);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 40);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 6, LearningRate = 1e-3, Threads = 1, CheckpointEverySteps = 4 };

        AssertResumeMatches(dir, dir.File("train.csv"), baseModel, options, cancelAfterStep: 10);
    }

    [Fact]
    public void Train_CnnInterruptedThenResumed_EndsWithSameWeights()
    {
        using var dir = new TestDirectory();
        TestData.WriteImageFolders(dir.File("images"), perLabel: 12);
        var options = new TrainingOptions
        {
            Epochs = 2, BatchSize = 5, LearningRate = 1e-3, Threads = 1, CheckpointEverySteps = 3, HorizontalFlip = true,
        };

        AssertResumeMatches(dir, dir.File("images"), "cnn-28-grey", options, cancelAfterStep: 7);
    }

    [Theory]
    [InlineData("cnn-28-grey")]
    [InlineData("mlp-28-grey")]
    public void Train_ImagePresetOnImageFolder_LearnsBrightFromDark(string preset)
    {
        using var dir = new TestDirectory();
        TestData.WriteImageFolders(dir.File("images"), perLabel: 20);

        var result = Trainer.Train(new TrainingRequest(dir.File("images"), preset, dir.File("out"),
            new TrainingOptions { Epochs = 3, BatchSize = 8, Threads = 1, ValidationFraction = 0.25 }));

        Assert.Equal(1.0, result.Metrics.Evaluation.Accuracy);
        Assert.Equal(1.0, result.Metrics.Evaluation.Curves!.MacroRocAuc!.Value, 12);
        Assert.True(File.Exists(dir.File("out/config.json")));
        using var model = ClassifierModel.Load(dir.File("out"), Platform.Training.Torch.Device.Cpu);
        Assert.Equal(["bright", "dark"], model.Labels);
    }

    [Fact]
    public void Train_Progress_ReportsEveryStepWithWarmup()
    {
        using var dir = new TestDirectory();
        var baseModel = TinyBert(dir);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 30);
        var reports = new List<TrainingProgress>();
        var epochs = new List<EpochRecord>();

        Trainer.Train(
            new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out"),
                new TrainingOptions { Epochs = 2, BatchSize = 6, LearningRate = 1e-3, Threads = 1, ValidationFraction = 0.2, WarmupFraction = 0.5 }),
            new TrainingCallbacks { Progress = reports.Add, EpochCompleted = epochs.Add });

        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.Equal(8, r.TotalSteps));
        // Warm-up over 4 steps: the first step runs at 0, the fifth at the full rate, then linear decay.
        Assert.Equal(0, reports[0].LearningRate, 12);
        Assert.Equal(1e-3, reports[4].LearningRate, 12);
        Assert.Equal(1e-3 * 3 / 4, reports[5].LearningRate, 12);
        Assert.All(reports, r => Assert.True(double.IsFinite(r.Loss) && r.Loss > 0));
        Assert.Equal([1, 2], epochs.Select(e => e.Epoch));
    }

    [Fact]
    public void Train_WholeRun_FreesEveryTensor()
    {
        using var dir = new TestDirectory();
        var baseModel = TinyBert(dir);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 24);
        var before = Platform.Training.Torch.Torch.LiveTensorCount;

        Trainer.Train(new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out"),
            new TrainingOptions { Epochs = 2, BatchSize = 5, Threads = 1, ValidationFraction = 0.2, CheckpointEverySteps = 3 }));
        using (var model = ClassifierModel.Load(dir.File("out"), Platform.Training.Torch.Device.Cpu))
        {
            ((BertClassifier)model).Predict(["good", "bad"]);
        }

        Assert.Equal(before, Platform.Training.Torch.Torch.LiveTensorCount);
    }

    [Fact]
    public void Train_NoImprovement_StopsEarly()
    {
        using var dir = new TestDirectory();
        var baseModel = TinyBert(dir);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 20);

        // A zero learning rate leaves the weights, so the validation macro-F1 never improves after epoch 1.
        var result = Trainer.Train(new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out"),
            new TrainingOptions
            {
                Epochs = 10, BatchSize = 8, LearningRate = 0, Threads = 1, ValidationFraction = 0.2,
                EarlyStoppingPatience = 2, MinStepsBeforeStopping = 0,
            }));

        Assert.True(result.StoppedEarly);
        Assert.Equal(3, result.EpochsCompleted);
        Assert.Equal(1, result.Metrics.SelectedEpoch);
    }

    [Fact]
    public void Train_NoImprovementBeforeMinimumSteps_KeepsTraining()
    {
        using var dir = new TestDirectory();
        var baseModel = TinyBert(dir);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 20);

        // 2 steps an epoch: the run may stop only once 10 steps are done, after epoch 5.
        var result = Trainer.Train(new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out"),
            new TrainingOptions
            {
                Epochs = 10, BatchSize = 8, LearningRate = 0, Threads = 1, ValidationFraction = 0.2,
                EarlyStoppingPatience = 2, MinStepsBeforeStopping = 10,
            }));

        Assert.True(result.StoppedEarly);
        Assert.Equal(5, result.EpochsCompleted);
    }

    [Fact]
    public void Train_ValidationScoreVaries_ShipsBestEpochNotLast()
    {
        using var dir = new TestDirectory();
        var baseModel = TinyBert(dir);
        // Labels drawn at random: the validation score wanders while the model memorises, so the best
        // epoch is not the last one.
        var random = new Random(7);
        string[] words = ["good", "bad", "film", "plot", "great", "awful", "the", "a"];
        File.WriteAllLines(dir.File("train.csv"), ["text,label", .. Enumerable.Range(0, 40).Select(_ =>
            $"{words[random.Next(words.Length)]} {words[random.Next(words.Length)]} {words[random.Next(words.Length)]},{(random.Next(2) == 0 ? "pos" : "neg")}")]);

        var result = Trainer.Train(new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out"),
            new TrainingOptions { Epochs = 8, BatchSize = 4, LearningRate = 2e-2, Threads = 1, ValidationFraction = 0.3, EarlyStoppingPatience = 0 }));

        var history = result.Metrics.History;
        // Best macro-F1; a tie goes to the lower validation loss.
        var bestRecord = history.OrderByDescending(e => e.ValidationMacroF1).ThenBy(e => e.ValidationLoss).First();
        var (best, bestEpoch) = (bestRecord.ValidationMacroF1!.Value, bestRecord.Epoch);
        Assert.True(bestEpoch < history.Count, string.Join(" | ", history.Select(e => $"{e.Epoch}: {e.ValidationMacroF1:F3} {e.ValidationLoss:F3}")));
        Assert.Equal(bestEpoch, result.Metrics.SelectedEpoch);
        // The shipped model scores what its epoch scored (same weights, same split), and the file says so.
        Assert.Equal(best, result.Metrics.Evaluation.MacroF1, 9);
        Assert.Equal(bestEpoch, MetricsFile.Read(dir.File("out/metrics.json")).SelectedEpoch);
        Assert.Empty(Directory.GetFiles(dir.Path, "best-epoch-*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Train_CancelledBetweenSteps_ThrowsAndCheckpointsWhereItStopped()
    {
        using var dir = new TestDirectory();
        var baseModel = TinyBert(dir);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 30);
        using var cancellation = new CancellationTokenSource();
        var steps = 0L;

        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(
            new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out"),
                new TrainingOptions { Epochs = 3, BatchSize = 4, Threads = 1, CheckpointEverySteps = 2 }),
            new TrainingCallbacks { Progress = p => { steps = p.Step; if (p.Step == 3) cancellation.Cancel(); } },
            cancellation.Token));

        Assert.Equal(3, steps);
        // The periodic checkpoint was at step 2; the stop at step 3 saves one so no step is lost.
        Assert.Equal("checkpoint-00000003", File.ReadAllText(dir.File("out/checkpoints/latest")));
        Assert.False(File.Exists(dir.File("out/model.safetensors")));
    }

    [Fact]
    public void Train_CheckpointFromOtherSettings_Throws()
    {
        using var dir = new TestDirectory();
        var baseModel = TinyBert(dir);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 30);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 4, Threads = 1, CheckpointEverySteps = 2 };
        Trainer.Train(new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out"), options, dir.File("checkpoints")));

        var error = Assert.Throws<InvalidDataException>(() => Trainer.Train(
            new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out2"), options with { BatchSize = 5 }, dir.File("checkpoints"))));

        Assert.Contains("was made by another run", error.Message);
        Assert.Contains("the batch size (4 then, 5 now)", error.Message);
    }

    [Fact]
    public void Train_CheckpointWithOtherLearningRateOrLength_Throws()
    {
        using var dir = new TestDirectory();
        var baseModel = TinyBert(dir);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 30);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 4, Threads = 1, CheckpointEverySteps = 2, LearningRate = 1e-3 };
        using var cancellation = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(
            new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out"), options, dir.File("checkpoints")),
            new TrainingCallbacks { Progress = p => { if (p.Step == 2) cancellation.Cancel(); } }, cancellation.Token));

        var rate = Assert.Throws<InvalidDataException>(() => Trainer.Train(
            new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out"), options with { LearningRate = 5e-4 }, dir.File("checkpoints"))));
        var length = Assert.Throws<InvalidDataException>(() => Trainer.Train(
            new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out"), options with { MaxSequenceLength = 64 }, dir.File("checkpoints"))));

        Assert.Contains("the learning rate (0.001 then, 0.0005 now)", rate.Message);
        Assert.Contains("the maximum sequence length (128 then, 64 now)", length.Message);
    }

    [Fact]
    public void Train_TextDataWithCnnPreset_Throws()
    {
        using var dir = new TestDirectory();
        TestData.WriteSentimentCsv(dir.File("train.csv"), 10);

        Assert.ThrowsAny<Exception>(() => Trainer.Train(
            new TrainingRequest(dir.File("train.csv"), "cnn-28-grey", dir.File("out"), new TrainingOptions { Threads = 1 })));
    }

    [Fact]
    public void Predict_TrainedBert_ReturnsSoftmaxScoresInInputOrder()
    {
        using var dir = new TestDirectory();
        var baseModel = TinyBert(dir);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 20);
        Trainer.Train(new TrainingRequest(dir.File("train.csv"), baseModel, dir.File("out"),
            new TrainingOptions { Epochs = 1, BatchSize = 8, Threads = 1 }));
        using var model = BertClassifier.Load(dir.File("out"), Platform.Training.Torch.Device.Cpu);

        var predictions = model.Predict(["good great", "bad awful", "unknown words here"], maxLength: 16, batchSize: 2);

        Assert.Equal(3, predictions.Count);
        Assert.All(predictions, p =>
        {
            Assert.Equal(1.0, p.Scores.Values.Sum(), 6);
            Assert.Equal(2, p.Logits.Length);
            Assert.Equal(p.Scores.MaxBy(s => s.Value).Key, p.Label);
        });
    }

    private static string TinyBert(TestDirectory dir)
    {
        TestData.WriteTinyBertConfig(dir.File("bert-config.json"));
        TestData.WriteVocabulary(dir.File("bert-vocab.txt"));
        var folder = dir.File("base");
        BertClassifier.Initialise(dir.File("bert-config.json"), dir.File("bert-vocab.txt"), ["LABEL_0", "LABEL_1"], folder, seed: 7);
        return folder;
    }

    private static void AssertResumeMatches(TestDirectory dir, string data, string baseModel, TrainingOptions options, long cancelAfterStep)
    {
        var straight = Trainer.Train(new TrainingRequest(data, baseModel, dir.File("straight"), options));

        using var cancellation = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(
            new TrainingRequest(data, baseModel, dir.File("interrupted"), options),
            new TrainingCallbacks { Progress = p => { if (p.Step == cancelAfterStep) cancellation.Cancel(); } },
            cancellation.Token));
        var resumed = Trainer.Train(new TrainingRequest(data, baseModel, dir.File("interrupted"), options));

        Assert.True(resumed.Resumed);
        Assert.False(Directory.Exists(Path.Combine(dir.File("interrupted"), "checkpoints")));
        Assert.Equal(straight.Steps, resumed.Steps);
        var expected = SafeTensorsFile.Read(Path.Combine(dir.File("straight"), "model.safetensors"));
        var actual = SafeTensorsFile.Read(Path.Combine(dir.File("interrupted"), "model.safetensors"));
        Assert.Equal(expected.Tensors.Select(t => t.Name), actual.Tensors.Select(t => t.Name));
        foreach (var tensor in expected.Tensors.Where(t => t.DType == SafeTensorsDType.F32))
        {
            var a = tensor.ToFloat32();
            var b = actual[tensor.Name].ToFloat32();
            var worst = a.Zip(b, (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
            Assert.True(worst <= 1e-6, $"{tensor.Name} differs by {worst}");
        }

        Assert.Equal(straight.Metrics.History.Select(h => h.TrainLoss), resumed.Metrics.History.Select(h => h.TrainLoss));
        // The baseline must actually train, or equal weights would prove nothing.
        Assert.NotEqual(straight.Metrics.History[0].TrainLoss, straight.Metrics.History[1].TrainLoss);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainerCollection
{
    public const string Name = "trainer";
}
