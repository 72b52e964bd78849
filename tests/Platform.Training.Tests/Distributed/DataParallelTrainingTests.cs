using Platform.Training.Distributed;
using Platform.Training.SafeTensors;
using Platform.Training.Tests.Common;
using Platform.Training.Tests.Training;
using Platform.Training.Training;

namespace Platform.Training.Tests.Distributed;

/// <summary>
/// Data-parallel training (decision 0043): two ranks on threads of this process over loopback Gloo,
/// against the same run in one process. The real native library and real files throughout.
/// </summary>
[Collection(TrainerCollection.Name)]
public sealed class DataParallelTrainingTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void Train_TwoRanks_LossPerStepAndFinalWeightsMatchOneProcess()
    {
        using var dir = new TestDirectory();
        var (bert, text) = TextInputs(dir);
        // 36 training texts in global batches of 7: the ranks' shares are uneven (4 and 3), and the
        // last batch (1 text) leaves rank 1 nothing, so it joins that step with zero gradients.
        var options = new TrainingOptions { Epochs = 2, BatchSize = 7, LearningRate = 1e-3, Threads = 1, Seed = 11, EarlyStoppingPatience = 0 };

        var alone = new List<double>();
        var single = Trainer.Train(new TrainingRequest(text, bert, dir.File("single"), options),
            new TrainingCallbacks { Progress = p => alone.Add(p.Loss) });

        var port = Ranks.NextPort();
        var reported = new[] { new List<double>(), new List<double>() };
        var ranks = Ranks.Run(2, rank => Trainer.Train(
            new TrainingRequest(text, bert, dir.File($"rank{rank}"), options, Distributed: Ranks.Options(rank, 2, port)),
            new TrainingCallbacks { Progress = p => reported[rank].Add(p.Loss) }));

        Assert.Equal(12, alone.Count);
        Assert.Equal(alone.Count, reported[0].Count);
        for (var step = 0; step < alone.Count; step++)
        {
            Assert.True(Math.Abs(alone[step] - reported[0][step]) <= Tolerance, $"step {step + 1}: loss {reported[0][step]} on two ranks, {alone[step]} alone");
        }

        // Rank 0 alone reports and writes; rank 1 trained the same steps and ends with the same model.
        Assert.Empty(reported[1]);
        Assert.False(Directory.Exists(dir.File("rank1")));
        Assert.Equal(single.Steps, ranks[1].Steps);
        Assert.Equal(ranks[0].Metrics.Evaluation.Accuracy, ranks[1].Metrics.Evaluation.Accuracy);
        AssertSameWeights(dir.File("single"), dir.File("rank0"));
        // The run must actually train, or equal weights would prove nothing.
        Assert.NotEqual(alone[0], alone[^1]);
    }

    [Fact]
    public void Train_RankDiesMidRun_TheOtherRankFailsWithAClearError()
    {
        using var dir = new TestDirectory();
        var (bert, text) = TextInputs(dir);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 6, LearningRate = 1e-3, Threads = 1 };
        var port = Ranks.NextPort();
        using var cancellation = new CancellationTokenSource();

        var errors = Ranks.Run(2, rank => Record.Exception(() => Trainer.Train(
            new TrainingRequest(text, bert, dir.File($"rank{rank}"), options, Distributed: Ranks.Options(rank, 2, port, timeoutSeconds: 10)),
            // Rank 0 is the one that reports progress; at step 3 it stops rank 1 (as a killed worker).
            new TrainingCallbacks { Progress = p => { if (p.Step == 3) cancellation.Cancel(); } },
            rank == 1 ? cancellation.Token : CancellationToken.None)), guard: TimeSpan.FromMinutes(3));

        Assert.IsAssignableFrom<OperationCanceledException>(errors[1]);
        var failure = Assert.IsType<DistributedException>(errors[0]);
        Assert.Contains("rank 0 of 2", failure.Message);
        Assert.Contains("failed", failure.Message);
    }

    [Fact]
    public void Train_ResumedOnOneProcessFromATwoRankCheckpoint_EndsAsTheUninterruptedRun()
    {
        using var dir = new TestDirectory();
        var (bert, text) = TextInputs(dir);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 6, LearningRate = 1e-3, Threads = 1, CheckpointEverySteps = 4, EarlyStoppingPatience = 0 };
        var straight = Trainer.Train(new TrainingRequest(text, bert, dir.File("straight"), options));

        // Two ranks until step 5; rank 0 checkpointed at step 4, then rank 1 is stopped.
        var port = Ranks.NextPort();
        using var cancellation = new CancellationTokenSource();
        var checkpoints = dir.File("checkpoints");
        Ranks.Run(2, rank => Record.Exception(() => Trainer.Train(
            new TrainingRequest(text, bert, dir.File($"rank{rank}"), options, checkpoints, Distributed: Ranks.Options(rank, 2, port, timeoutSeconds: 10)),
            new TrainingCallbacks { Progress = p => { if (p.Step == 5) cancellation.Cancel(); } },
            rank == 1 ? cancellation.Token : CancellationToken.None)), guard: TimeSpan.FromMinutes(3));

        // The gang resumes on whatever is free: here one process.
        var resumed = Trainer.Train(new TrainingRequest(text, bert, dir.File("resumed"), options, checkpoints));

        Assert.True(resumed.Resumed);
        Assert.Equal(straight.Steps, resumed.Steps);
        AssertSameWeights(dir.File("straight"), dir.File("resumed"));
    }

    [Fact]
    public void Train_TwoRanksCnn_RankZeroWritesTheModelAndBothEndWithIt()
    {
        using var dir = new TestDirectory();
        TestData.WriteImageFolders(dir.File("images"), perLabel: 12);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 6, LearningRate = 1e-3, Threads = 1, Seed = 5 };
        var steps = new List<long>();
        var port = Ranks.NextPort();

        var ranks = Ranks.Run(2, rank => Trainer.Train(
            new TrainingRequest(dir.File("images"), "cnn-28-grey", dir.File($"rank{rank}"), options, Distributed: Ranks.Options(rank, 2, port)),
            new TrainingCallbacks { Progress = p => steps.Add(p.Step) }));

        // The global batch is the setting: the steps are those of one process (22 training images in 6s).
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), steps);
        Assert.True(File.Exists(Path.Combine(dir.File("rank0"), "model.safetensors")));
        Assert.False(Directory.Exists(dir.File("rank1")));
        // Batch normalisation keeps per-rank statistics while training; the model that ships is rank 0's,
        // broadcast, so both ranks evaluate the same model.
        Assert.Equal(ranks[0].Metrics.Evaluation.Accuracy, ranks[1].Metrics.Evaluation.Accuracy);
        Assert.All(ranks[0].Metrics.History, epoch => Assert.True(double.IsFinite(epoch.TrainLoss)));
    }

    private static (string Bert, string Text) TextInputs(TestDirectory dir)
    {
        // No dropout: with it each rank would draw its own masks, and no run could match another exactly.
        TestData.WriteTinyBertConfig(dir.File("bert-config.json"));
        var config = File.ReadAllText(dir.File("bert-config.json"))
            .Replace("\"hidden_dropout_prob\": 0.1", "\"hidden_dropout_prob\": 0.0")
            .Replace("\"attention_probs_dropout_prob\": 0.1", "\"attention_probs_dropout_prob\": 0.0");
        File.WriteAllText(dir.File("bert-config.json"), config);
        TestData.WriteVocabulary(dir.File("bert-vocab.txt"));
        var bert = dir.File("base");
        BertClassifier.Initialise(dir.File("bert-config.json"), dir.File("bert-vocab.txt"), ["LABEL_0", "LABEL_1"], bert, seed: 7);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 40);
        return (bert, dir.File("train.csv"));
    }

    private static void AssertSameWeights(string expectedFolder, string actualFolder)
    {
        var expected = SafeTensorsFile.Read(Path.Combine(expectedFolder, "model.safetensors"));
        var actual = SafeTensorsFile.Read(Path.Combine(actualFolder, "model.safetensors"));
        Assert.Equal(expected.Tensors.Select(t => t.Name), actual.Tensors.Select(t => t.Name));
        foreach (var tensor in expected.Tensors.Where(t => t.DType == SafeTensorsDType.F32))
        {
            var worst = tensor.ToFloat32().Zip(actual[tensor.Name].ToFloat32(), (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
            Assert.True(worst <= Tolerance, $"{tensor.Name} differs by {worst}");
        }
    }
}
