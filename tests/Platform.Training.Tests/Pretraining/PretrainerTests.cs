using System.Text;
using System.Text.Json;
using Platform.Training.Data;
using Platform.Training.Pretraining;
using Platform.Training.SafeTensors;
using Platform.Training.Models.Bert;
using Platform.Training.Tests.Common;
using Platform.Training.Tests.Training;
using Platform.Training.Training;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Pretraining;

// libtorch's generator and thread count are process-wide, so pre-training tests never run in parallel with training.
[Collection(TrainerCollection.Name)]
public sealed class PretrainerTests
{
    [Fact]
    public void Train_FromScratchWithoutVocabulary_WritesABaseModelThatFineTunesUnchanged()
    {
        using var dir = new TestDirectory();
        WriteCorpus(dir.File("corpus.txt"), 120);
        var output = dir.File("pretrained");

        var result = Pretrainer.Train(new PretrainingRequest(dir.File("corpus.txt"), output,
            new PretrainingOptions { Epochs = 1, BatchSize = 8, MaxSequenceLength = 32, Threads = 1, VocabularySize = 80 },
            Config: TinyConfig()));

        Assert.True(result.VocabularyTrained);
        Assert.False(Directory.Exists(Path.Combine(output, "checkpoints")));
        var vocabulary = File.ReadAllLines(Path.Combine(output, "vocab.txt"));
        Assert.Equal(80, vocabulary.Length);
        var config = BertConfig.Load(Path.Combine(output, "config.json"));
        Assert.Equal(["BertForMaskedLM"], config.Architectures);
        Assert.Equal(80, config.VocabSize);
        var weights = SafeTensorsFile.Read(Path.Combine(output, "model.safetensors"));
        Assert.Equal([80L], weights["cls.predictions.bias"].Shape);
        Assert.True(weights.TryGet("cls.predictions.transform.LayerNorm.weight", out _));
        Assert.True(weights.TryGet("bert.pooler.dense.weight", out _));
        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "pretraining.json"))))
        {
            Assert.Equal(result.Steps, metrics.RootElement.GetProperty("steps").GetInt64());
            Assert.True(metrics.RootElement.GetProperty("final_evaluation").GetProperty("perplexity").GetDouble() > 1);
        }

        // Fine-tuning at learning rate 0 leaves the weights as loaded: the encoder must be the pre-trained one.
        TestData.WriteSentimentCsv(dir.File("train.csv"), 20);
        Trainer.Train(new TrainingRequest(dir.File("train.csv"), output, dir.File("classifier"),
            new TrainingOptions { Epochs = 1, BatchSize = 8, LearningRate = 0, Threads = 1, MaxSequenceLength = 32 }));
        var tuned = SafeTensorsFile.Read(dir.File("classifier/model.safetensors"));
        foreach (var name in new[] { "bert.embeddings.word_embeddings.weight", "bert.encoder.layer.1.output.dense.weight" })
        {
            Assert.Equal(weights[name].ToFloat32(), tuned[name].ToFloat32());
        }

        Assert.False(tuned.TryGet("cls.predictions.bias", out _));
        Assert.Equal(vocabulary, File.ReadAllLines(dir.File("classifier/vocab.txt")));
    }

    [Fact]
    public void Train_RegularCorpus_HeldOutPerplexityFalls()
    {
        using var dir = new TestDirectory();
        WriteCorpus(dir.File("corpus.txt"), 400);
        var evaluations = new List<PretrainingEvaluation>();

        var result = Pretrainer.Train(
            new PretrainingRequest(dir.File("corpus.txt"), dir.File("out"),
                new PretrainingOptions { Epochs = 8, BatchSize = 8, MaxSequenceLength = 32, Threads = 1, VocabularySize = 80, LearningRate = 3e-3, EvaluateEverySteps = 5, ValidationFraction = 0.1 },
                Config: TinyConfig()),
            new PretrainingCallbacks { Evaluated = evaluations.Add });

        var first = evaluations[0];
        var last = result.FinalEvaluation!;
        Assert.Equal(5, first.Step);
        Assert.True(last.Perplexity < first.Perplexity / 3, $"perplexity went from {first.Perplexity} to {last.Perplexity}");
        Assert.True(last.MaskedAccuracy > 0.2, $"masked accuracy {last.MaskedAccuracy}, perplexity {first.Perplexity} -> {last.Perplexity}");
        Assert.Equal(8, result.History.Count);
        Assert.All(result.History, e => Assert.NotNull(e.ValidationPerplexity));
    }

    [Fact]
    public void Train_InterruptedThenResumed_EndsWithSameWeights()
    {
        using var dir = new TestDirectory();
        WriteCorpus(dir.File("corpus.txt"), 100);
        var request = new PretrainingRequest(dir.File("corpus.txt"), dir.File("straight"),
            new PretrainingOptions { Epochs = 2, BatchSize = 4, MaxSequenceLength = 24, Threads = 1, VocabularySize = 70, CheckpointEverySteps = 3, LearningRate = 1e-3 },
            Config: TinyConfig(dropout: 0.1));
        var straight = Pretrainer.Train(request);

        using var cancellation = new CancellationTokenSource();
        var interrupted = request with { OutputDirectory = dir.File("interrupted") };
        Assert.ThrowsAny<OperationCanceledException>(() => Pretrainer.Train(interrupted,
            new PretrainingCallbacks { Progress = p => { if (p.Step == straight.Steps / 2 + 1) cancellation.Cancel(); } },
            cancellation.Token));
        var resumed = Pretrainer.Train(interrupted);

        Assert.True(resumed.Resumed);
        Assert.Equal(straight.Steps, resumed.Steps);
        var expected = SafeTensorsFile.Read(Path.Combine(dir.File("straight"), "model.safetensors"));
        var actual = SafeTensorsFile.Read(Path.Combine(dir.File("interrupted"), "model.safetensors"));
        Assert.Equal(expected.Tensors.Select(t => t.Name), actual.Tensors.Select(t => t.Name));
        foreach (var tensor in expected.Tensors)
        {
            Assert.Equal(tensor.ToFloat32(), actual[tensor.Name].ToFloat32());
        }

        Assert.Equal(straight.History.Select(h => h.TrainLoss), resumed.History.Select(h => h.TrainLoss));
        Assert.Equal(straight.FinalEvaluation!.Loss, resumed.FinalEvaluation!.Loss);
        Assert.NotEqual(straight.History[0].TrainLoss, straight.History[1].TrainLoss);
    }

    [Fact]
    public void Train_EveryStep_LeavesTheLiveTensorCountUnchanged()
    {
        using var dir = new TestDirectory();
        WriteCorpus(dir.File("corpus.txt"), 60);
        var before = Torch.LiveTensorCollection.SettledCount();
        var counts = new List<long>();

        Pretrainer.Train(
            new PretrainingRequest(dir.File("corpus.txt"), dir.File("out"),
                new PretrainingOptions { Epochs = 2, BatchSize = 4, MaxSequenceLength = 24, Threads = 1, VocabularySize = 70, CheckpointEverySteps = 2, EvaluateEverySteps = 3 },
                Config: TinyConfig()),
            new PretrainingCallbacks { Progress = _ => counts.Add(TorchApi.LiveTensorCount) });

        // From the first step on, the model, its gradients' absence and the AdamW moments are all that live.
        Assert.True(counts.Count > 6);
        Assert.All(counts, c => Assert.Equal(counts[0], c));
        Assert.Equal(before, TorchApi.LiveTensorCount);
    }

    [Fact]
    public void Train_Progress_ReportsEveryStepWithWarmupAndHeldOutPerplexity()
    {
        using var dir = new TestDirectory();
        WriteCorpus(dir.File("corpus.txt"), 60);
        var reports = new List<PretrainingProgress>();
        var epochs = new List<PretrainingEpochRecord>();

        var result = Pretrainer.Train(
            new PretrainingRequest(dir.File("corpus.txt"), dir.File("out"),
                new PretrainingOptions { Epochs = 2, BatchSize = 4, MaxSequenceLength = 24, Threads = 1, VocabularySize = 70, LearningRate = 1e-3, WarmupFraction = 0.5 },
                Config: TinyConfig()),
            new PretrainingCallbacks { Progress = reports.Add, EpochCompleted = epochs.Add });

        var perEpoch = result.Steps / 2;
        Assert.Equal(Enumerable.Range(1, (int)result.Steps).Select(i => (long)i), reports.Select(r => r.Step));
        Assert.Equal(0, reports[0].LearningRate, 12);
        Assert.Equal(1e-3, reports[(int)result.Steps / 2].LearningRate, 12);
        Assert.All(reports.Take((int)perEpoch - 1), r => Assert.Null(r.ValidationPerplexity));
        Assert.All(reports.Skip((int)perEpoch), r => Assert.Equal(epochs[0].ValidationPerplexity, r.ValidationPerplexity));
        Assert.All(reports, r => Assert.True(double.IsFinite(r.Loss) && r.Loss > 0 && Math.Abs(r.Perplexity - Math.Exp(r.Loss)) < 1e-9));
        Assert.Equal([1, 2], epochs.Select(e => e.Epoch));
    }

    [Fact]
    public void Train_CancelledBetweenSteps_ThrowsAndCheckpointsWhereItStopped()
    {
        using var dir = new TestDirectory();
        WriteCorpus(dir.File("corpus.txt"), 60);
        using var cancellation = new CancellationTokenSource();
        var steps = 0L;

        Assert.ThrowsAny<OperationCanceledException>(() => Pretrainer.Train(
            new PretrainingRequest(dir.File("corpus.txt"), dir.File("out"),
                new PretrainingOptions { Epochs = 3, BatchSize = 4, MaxSequenceLength = 24, Threads = 1, VocabularySize = 70, CheckpointEverySteps = 2 },
                Config: TinyConfig()),
            new PretrainingCallbacks { Progress = p => { steps = p.Step; if (p.Step == 3) cancellation.Cancel(); } },
            cancellation.Token));

        Assert.Equal(3, steps);
        Assert.Equal("checkpoint-00000003", File.ReadAllText(dir.File("out/checkpoints/latest")));
        Assert.False(File.Exists(dir.File("out/model.safetensors")));
    }

    [Fact]
    public void Train_CheckpointOfOtherMasking_Throws()
    {
        using var dir = new TestDirectory();
        WriteCorpus(dir.File("corpus.txt"), 40);
        var options = new PretrainingOptions { Epochs = 1, BatchSize = 4, MaxSequenceLength = 24, Threads = 1, VocabularySize = 70, CheckpointEverySteps = 2 };
        Pretrainer.Train(new PretrainingRequest(dir.File("corpus.txt"), dir.File("out"), options, Config: TinyConfig(), CheckpointDirectory: dir.File("ckpt")));

        var error = Assert.Throws<InvalidDataException>(() => Pretrainer.Train(new PretrainingRequest(dir.File("corpus.txt"), dir.File("out2"),
            options with { MaskProbability = 0.2 }, Config: TinyConfig(), CheckpointDirectory: dir.File("ckpt"))));

        Assert.Contains("other data or settings", error.Message);
    }

    [Fact]
    public void Train_FromClassifierFolder_KeepsItsVocabularyAndStartsAHead()
    {
        using var dir = new TestDirectory();
        TestData.WriteTinyBertConfig(dir.File("bert-config.json"));
        TestData.WriteVocabulary(dir.File("bert-vocab.txt"));
        BertClassifier.Initialise(dir.File("bert-config.json"), dir.File("bert-vocab.txt"), ["neg", "pos"], dir.File("base"), seed: 7);
        TestData.WriteSentimentCsv(dir.File("corpus.csv"), 60);
        var log = new List<string>();

        Pretrainer.Train(
            new PretrainingRequest(dir.File("corpus.csv"), dir.File("out"),
                new PretrainingOptions { Epochs = 1, BatchSize = 8, MaxSequenceLength = 16, Threads = 1, LearningRate = 1e-3 },
                BaseModel: dir.File("base")),
            new PretrainingCallbacks { Log = log.Add });

        Assert.Contains(log, l => l.Contains("no masked-LM head", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllLines(dir.File("bert-vocab.txt")), File.ReadAllLines(dir.File("out/vocab.txt")));
        var before = SafeTensorsFile.Read(dir.File("base/model.safetensors"));
        var after = SafeTensorsFile.Read(dir.File("out/model.safetensors"));
        Assert.NotEqual(before["bert.encoder.layer.0.attention.self.query.weight"].ToFloat32(), after["bert.encoder.layer.0.attention.self.query.weight"].ToFloat32());
        Assert.Equal(before["bert.pooler.dense.weight"].ToFloat32(), after["bert.pooler.dense.weight"].ToFloat32());
        Assert.False(after.TryGet("classifier.weight", out _));
    }

    [Fact]
    public void Train_FromPretrainedFolder_LoadsEveryTensorHeadIncluded()
    {
        using var dir = new TestDirectory();
        WriteCorpus(dir.File("corpus.txt"), 60);
        var options = new PretrainingOptions { Epochs = 1, BatchSize = 8, MaxSequenceLength = 24, Threads = 1, VocabularySize = 70 };
        Pretrainer.Train(new PretrainingRequest(dir.File("corpus.txt"), dir.File("first"), options, Config: TinyConfig()));
        var log = new List<string>();

        // Learning rate 0: the second run's weights are exactly what it loaded.
        Pretrainer.Train(new PretrainingRequest(dir.File("corpus.txt"), dir.File("second"), options with { LearningRate = 0, Seed = 9 }, BaseModel: dir.File("first")),
            new PretrainingCallbacks { Log = log.Add });

        var first = SafeTensorsFile.Read(dir.File("first/model.safetensors"));
        var second = SafeTensorsFile.Read(dir.File("second/model.safetensors"));
        Assert.Equal(first.Tensors.Select(t => t.Name), second.Tensors.Select(t => t.Name));
        foreach (var tensor in first.Tensors)
        {
            Assert.Equal(tensor.ToFloat32(), second[tensor.Name].ToFloat32());
        }

        Assert.DoesNotContain(log, l => l.Contains("initialisation", StringComparison.Ordinal));
    }

    [Fact]
    public void Train_StoredSplit_HoldsOutExactlyThoseDocuments()
    {
        using var dir = new TestDirectory();
        WriteCorpus(dir.File("corpus.txt"), 40);
        // Documents 40-49 hold a word (of letters the others use) nowhere else: held out, it cannot enter the vocabulary trained on the rest.
        File.AppendAllLines(dir.File("corpus.txt"), Enumerable.Repeat("bumblebee bumblebee bumblebee", 10));
        var split = new DataSplit([.. Enumerable.Range(0, 40)], [.. Enumerable.Range(40, 10)]);
        var options = new PretrainingOptions { Epochs = 1, BatchSize = 8, MaxSequenceLength = 24, Threads = 1, VocabularySize = 200 };

        var held = Pretrainer.Train(new PretrainingRequest(dir.File("corpus.txt"), dir.File("held"), options, Config: TinyConfig(), Split: split));
        var seen = Pretrainer.Train(new PretrainingRequest(dir.File("corpus.txt"), dir.File("seen"), options with { ValidationFraction = 0 }, Config: TinyConfig()));

        Assert.Equal(10, held.Corpus.ValidationDocuments);
        Assert.Equal(40, held.Corpus.TrainDocuments);
        Assert.DoesNotContain("bumblebee", File.ReadAllLines(dir.File("held/vocab.txt")));
        Assert.Contains("bumblebee", File.ReadAllLines(dir.File("seen/vocab.txt")));
        Assert.NotNull(held.FinalEvaluation);
        var error = Assert.Throws<InvalidDataException>(() => Pretrainer.Train(new PretrainingRequest(dir.File("corpus.txt"), dir.File("bad"), options,
            Config: TinyConfig(), Split: new DataSplit([.. Enumerable.Range(0, 40)], [40]))));
        Assert.Contains("the split covers 41 examples, but the data has 50", error.Message);
    }

    [Fact]
    public void Train_DocumentsOfUnknownTokensOnly_AreNeitherTrainedOnNorMeasured()
    {
        using var dir = new TestDirectory();
        // Vocabulary without 'x' or 'z': "zzz xxx" is [UNK] [UNK], and [UNK] is never selected for prediction.
        File.WriteAllLines(dir.File("vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "##a", "##b", "ab"]);
        File.WriteAllLines(dir.File("corpus.txt"), ["zzz xxx", "ab ab ba", "zzz", "xxx zzz"]);
        var evaluations = new List<PretrainingEvaluation>();
        var split = new DataSplit([0, 1], [2, 3]);

        var result = Pretrainer.Train(
            new PretrainingRequest(dir.File("corpus.txt"), dir.File("out"),
                new PretrainingOptions { Epochs = 2, BatchSize = 1, MaxSequenceLength = 8, Threads = 1, PackDocuments = false },
                Config: TinyConfig(), VocabularyPath: dir.File("vocab.txt"), Split: split),
            new PretrainingCallbacks { Evaluated = evaluations.Add });

        Assert.Empty(evaluations);
        Assert.Null(result.FinalEvaluation);
        Assert.All(result.History, e => Assert.True(double.IsFinite(e.TrainLoss) && e.ValidationLoss is null));
        Assert.All(SafeTensorsFile.Read(dir.File("out/model.safetensors")).Tensors, t => Assert.All(t.ToFloat32(), v => Assert.True(float.IsFinite(v))));
    }

    [Fact]
    public void Train_CsvCorpusWithoutTextColumn_Throws()
    {
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("corpus.csv"), "body,label\nhello,a\n");

        var error = Assert.Throws<InvalidDataException>(() => Pretrainer.Train(new PretrainingRequest(dir.File("corpus.csv"), dir.File("out"),
            new PretrainingOptions { Threads = 1 }, Config: TinyConfig())));

        Assert.Contains("column 'text' not found; the header has: body, label", error.Message);
    }

    [Fact]
    public void Train_SequencesLongerThanThePositions_Throws()
    {
        using var dir = new TestDirectory();
        WriteCorpus(dir.File("corpus.txt"), 20);

        var error = Assert.Throws<ArgumentException>(() => Pretrainer.Train(new PretrainingRequest(dir.File("corpus.txt"), dir.File("out"),
            new PretrainingOptions { Threads = 1, MaxSequenceLength = 64, VocabularySize = 60 }, Config: TinyConfig())));

        Assert.Contains("exceeds the model's max_position_embeddings 32", error.Message);
    }

    [Fact]
    public void Train_BaseAndConfigTogether_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => Pretrainer.Train(new PretrainingRequest("corpus.txt", "out",
            new PretrainingOptions(), BaseModel: "base", Config: TinyConfig())));

        Assert.Contains("not both or neither", error.Message);
    }

    internal static BertConfig TinyConfig(double dropout = 0.1) => new()
    {
        VocabSize = 100, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64,
        MaxPositionEmbeddings = 32, HiddenDropoutProb = dropout, AttentionProbsDropoutProb = dropout,
    };

    /// <summary>Sentences from a small grammar: nouns agree with their verbs, so masked words are predictable.</summary>
    internal static void WriteCorpus(string path, int lines, int seed = 1)
    {
        string[][] pairs =
        [
            ["the dog", "barks loudly"], ["the cat", "purrs softly"], ["a bird", "sings sweetly"], ["the engine", "roars loudly"],
            ["my computer", "crashes again"], ["the kernel", "panics again"], ["our server", "reboots nightly"], ["the printer", "jams constantly"],
        ];
        string[] openers = ["yesterday", "today", "sometimes", "always", "tonight"];
        var random = new Random(seed);
        var text = new StringBuilder();
        for (var i = 0; i < lines; i++)
        {
            var pair = pairs[random.Next(pairs.Length)];
            var other = pairs[random.Next(pairs.Length)];
            text.Append(openers[random.Next(openers.Length)]).Append(' ').Append(pair[0]).Append(' ').Append(pair[1])
                .Append(", and ").Append(other[0]).Append(' ').Append(other[1]).Append(".\n");
        }

        File.WriteAllText(path, text.ToString());
    }
}
