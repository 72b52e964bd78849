using System.Text.Json;
using Platform.Training.Tests.Common;
using Platform.Training.Tests.Pretraining;
using Platform.Training.Tokenization;

namespace Platform.Training.Tests.Cli;

public sealed class PretrainCliTests
{
    [Fact]
    public void VocabPretrainTrain_FromScratch_GivesAModelThatFineTunes()
    {
        using var dir = new TestDirectory();
        PretrainerTests.WriteCorpus(dir.File("corpus.txt"), 80);
        WriteConfig(dir.File("config.json"));

        var vocab = CliProcess.Run(dir.Path, "vocab", "--data", "corpus.txt", "--size", "70", "--out", "vocab/vocab.txt");
        var pretrain = CliProcess.Run(dir.Path, "pretrain", "--data", "corpus.txt", "--config", "config.json", "--vocab", "vocab/vocab.txt",
            "--out", "pretrained", "--epochs", "2", "--batch-size", "8", "--max-len", "32", "--threads", "1");
        TestData.WriteSentimentCsv(dir.File("train.csv"), 24);
        var train = CliProcess.Run(dir.Path, "train", "--data", "train.csv", "--base", "pretrained", "--out", "model",
            "--epochs", "1", "--batch-size", "8", "--max-len", "32", "--threads", "1");

        Assert.True(vocab.ExitCode == 0, vocab.Error);
        Assert.Contains("70 tokens", vocab.Output);
        Assert.Equal(70, WordPieceVocabulary.Load(dir.File("vocab/vocab.txt")).Count);
        Assert.True(pretrain.ExitCode == 0, pretrain.Error);
        Assert.Contains("epoch 2: train loss", pretrain.Error);
        Assert.Contains("held-out perplexity", pretrain.Output);
        Assert.Equal(File.ReadAllLines(dir.File("vocab/vocab.txt")), File.ReadAllLines(dir.File("pretrained/vocab.txt")));
        using (var metrics = JsonDocument.Parse(File.ReadAllText(dir.File("pretrained/pretraining.json"))))
        {
            Assert.False(metrics.RootElement.GetProperty("vocabulary_trained").GetBoolean());
            Assert.Equal(2, metrics.RootElement.GetProperty("history").GetArrayLength());
        }

        Assert.True(train.ExitCode == 0, train.Error);
        Assert.True(File.Exists(dir.File("model/metrics.json")));
    }

    [Fact]
    public void Pretrain_CsvCorpusWithoutVocab_TrainsOneAndContinuesFromABase()
    {
        using var dir = new TestDirectory();
        TestData.WriteSentimentCsv(dir.File("reviews.csv"), 60);
        File.WriteAllText(dir.File("more.csv"), "id,body\n1,\"good movie, very good\"\n2,bad day\n3,a great day\n");
        WriteConfig(dir.File("config.json"));

        var scratch = CliProcess.Run(dir.Path, "pretrain", "--data", "reviews.csv", "--config", "config.json", "--vocab-size", "60",
            "--out", "first", "--epochs", "1", "--batch-size", "8", "--max-len", "32", "--threads", "1");
        var further = CliProcess.Run(dir.Path, "pretrain", "--data", "more.csv", "--text-column", "body", "--base", "first",
            "--out", "second", "--epochs", "1", "--batch-size", "2", "--max-len", "32", "--threads", "1", "--validation-split", "0");

        Assert.True(scratch.ExitCode == 0, scratch.Error);
        Assert.Contains("vocabulary trained from the corpus: 60 tokens", scratch.Error);
        Assert.True(further.ExitCode == 0, further.Error);
        Assert.Equal(File.ReadAllLines(dir.File("first/vocab.txt")), File.ReadAllLines(dir.File("second/vocab.txt")));
        Assert.DoesNotContain("held-out perplexity", further.Output);
    }

    [Fact]
    public void Pretrain_BaseAndConfigTogether_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        PretrainerTests.WriteCorpus(dir.File("corpus.txt"), 5);
        WriteConfig(dir.File("config.json"));

        var result = CliProcess.Run(dir.Path, "pretrain", "--data", "corpus.txt", "--config", "config.json", "--base", "somewhere", "--out", "m");

        AssertOneLineError(result, "give --base FOLDER to continue from a model, or --config config.json to start from scratch");
    }

    [Fact]
    public void Pretrain_VocabWithBase_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        Directory.CreateDirectory(dir.File("base"));

        var result = CliProcess.Run(dir.Path, "pretrain", "--data", "corpus.txt", "--base", "base", "--vocab", "vocab.txt", "--out", "m");

        AssertOneLineError(result, "--vocab goes with --config");
    }

    [Fact]
    public void Pretrain_MissingCorpus_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        WriteConfig(dir.File("config.json"));

        var result = CliProcess.Run(dir.Path, "pretrain", "--data", "absent.txt", "--config", "config.json", "--out", "m", "--threads", "1");

        AssertOneLineError(result, "corpus not found: absent.txt");
    }

    [Fact]
    public void Pretrain_BaseFolderWithoutConfig_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        PretrainerTests.WriteCorpus(dir.File("corpus.txt"), 5);
        Directory.CreateDirectory(dir.File("empty"));

        var result = CliProcess.Run(dir.Path, "pretrain", "--data", "corpus.txt", "--base", "empty", "--out", "m", "--threads", "1");

        AssertOneLineError(result, "has no config.json");
    }

    [Fact]
    public void Vocab_CsvWithoutTextColumn_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("data.csv"), "body,label\nhello,a\n");

        var result = CliProcess.Run(dir.Path, "vocab", "--data", "data.csv", "--out", "vocab.txt");

        AssertOneLineError(result, "column 'text' not found; the header has: body, label");
    }

    [Fact]
    public void Vocab_NotUtf8_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        File.WriteAllBytes(dir.File("corpus.txt"), [0x68, 0x69, 0x0A, 0xFF, 0xFE, 0x41, 0x0A]);

        var result = CliProcess.Run(dir.Path, "vocab", "--data", "corpus.txt", "--out", "vocab.txt");

        AssertOneLineError(result, "corpus.txt: not valid UTF-8");
    }

    private static void WriteConfig(string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(PretrainerTests.TinyConfig()));

    private static void AssertOneLineError(CliResult result, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        var error = result.Error.TrimEnd();
        Assert.DoesNotContain('\n', error);
        Assert.StartsWith("platform-cli: error: ", error);
        Assert.Contains(expected, error);
    }
}
