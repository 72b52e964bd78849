using System.IO.Compression;
using System.Text.Json;
using Platform.Training.Metrics;
using Platform.Training.SafeTensors;
using Platform.Training.Tests.Common;

namespace Platform.Training.Tests.Cli;

public sealed class CliTests
{
    [Fact]
    public void InitBertTrainPredictEval_TextData_Succeeds()
    {
        using var dir = new TestDirectory();
        var baseModel = InitBert(dir);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 40);
        File.WriteAllText(dir.File("input.csv"), "text\n\"good, great\"\nbad awful\nthe movie\n");

        var train = CliProcess.Run(dir.Path, "train", "--data", "train.csv", "--base", baseModel, "--out", "model",
            "--epochs", "2", "--batch-size", "8", "--lr", "1e-3", "--max-len", "16", "--threads", "1");
        var predict = CliProcess.Run(dir.Path, "predict", "--model", "model", "--input", "input.csv", "--output", "out/pred.jsonl");
        var eval = CliProcess.Run(dir.Path, "eval", "--model", "model", "--data", "train.csv", "--output", "eval.json");

        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Contains("epoch 2: train loss", train.Error);
        Assert.Contains("step 10/10 epoch 2/2", train.Error);
        Assert.True(File.Exists(dir.File("model/metrics.json")));
        Assert.True(predict.ExitCode == 0, predict.Error);
        var lines = File.ReadAllLines(dir.File("out/pred.jsonl"));
        Assert.Equal(3, lines.Length);
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            var label = json.RootElement.GetProperty("label").GetString();
            Assert.Contains(label, new[] { "neg", "pos" });
            var scores = json.RootElement.GetProperty("scores");
            Assert.Equal(1.0, scores.GetProperty("neg").GetDouble() + scores.GetProperty("pos").GetDouble(), 6);
            Assert.Equal(2, json.RootElement.GetProperty("logits").GetArrayLength());
        }

        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.Contains("macro-F1", eval.Output);
        Assert.Equal(40, MetricsFile.Read(dir.File("eval.json")).Evaluation.Count);
    }

    [Fact]
    public void InitDistilBertTrainPredictEval_TextData_WritesHuggingFaceDistilBertFolder()
    {
        using var dir = new TestDirectory();
        TestData.WriteTinyDistilBertConfig(dir.File("config.json"));
        TestData.WriteVocabulary(dir.File("vocab.txt"));
        TestData.WriteSentimentCsv(dir.File("train.csv"), 24);
        File.WriteAllText(dir.File("input.csv"), "text\ngood great\nbad awful\n");

        var init = CliProcess.Run(dir.Path, "init-bert", "--config", "config.json", "--vocab", "vocab.txt", "--labels", "neg,pos", "--out", "base");
        var train = CliProcess.Run(dir.Path, "train", "--data", "train.csv", "--base", "base", "--out", "model",
            "--epochs", "1", "--batch-size", "8", "--lr", "1e-3", "--max-len", "16", "--threads", "1");
        var predict = CliProcess.Run(dir.Path, "predict", "--model", "model", "--input", "input.csv", "--output", "pred.jsonl");
        var eval = CliProcess.Run(dir.Path, "eval", "--model", "model", "--data", "train.csv");

        Assert.True(init.ExitCode == 0, init.Error);
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.True(predict.ExitCode == 0, predict.Error);
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.Equal(2, File.ReadAllLines(dir.File("pred.jsonl")).Length);
        using var config = JsonDocument.Parse(File.ReadAllText(dir.File("model/config.json")));
        Assert.Equal("distilbert", config.RootElement.GetProperty("model_type").GetString());
        Assert.Equal("DistilBertForSequenceClassification", config.RootElement.GetProperty("architectures")[0].GetString());
        Assert.Equal(16, config.RootElement.GetProperty("dim").GetInt32());
        Assert.Equal("pos", config.RootElement.GetProperty("id2label").GetProperty("1").GetString());
        using var tokenizer = JsonDocument.Parse(File.ReadAllText(dir.File("model/tokenizer_config.json")));
        Assert.Equal("DistilBertTokenizer", tokenizer.RootElement.GetProperty("tokenizer_class").GetString());
        var names = SafeTensorsFile.Read(dir.File("model/model.safetensors")).Tensors.Select(t => t.Name).ToHashSet();
        Assert.Contains("distilbert.transformer.layer.1.attention.q_lin.weight", names);
        Assert.Contains("pre_classifier.weight", names);
        Assert.Contains("classifier.bias", names);
        Assert.DoesNotContain(names, n => n.Contains("token_type", StringComparison.Ordinal));
    }

    [Fact]
    public void InitBert_UnsupportedArchitecture_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("config.json"), """{"model_type": "roberta", "vocab_size": 40}""");
        TestData.WriteVocabulary(dir.File("vocab.txt"));

        var result = CliProcess.Run(dir.Path, "init-bert", "--config", "config.json", "--vocab", "vocab.txt", "--labels", "a,b", "--out", "m");

        AssertOneLineError(result, "model_type 'roberta' is not supported");
    }

    [Fact]
    public void TrainPredict_CnnOnZip_WritesPredictionsInInputOrder()
    {
        using var dir = new TestDirectory();
        TestData.WriteImageFolders(dir.File("images"), perLabel: 10);
        ZipFile.CreateFromDirectory(dir.File("images"), dir.File("images.zip"));

        var train = CliProcess.Run(dir.Path, "train", "--data", "images.zip", "--base", "cnn-28-grey", "--out", "cnn",
            "--epochs", "2", "--batch-size", "8", "--threads", "1");
        var predict = CliProcess.Run(dir.Path, "predict", "--model", "cnn", "--input", "images/dark", "--output", "pred.jsonl");

        Assert.True(train.ExitCode == 0, train.Error);
        Assert.True(predict.ExitCode == 0, predict.Error);
        var inputs = File.ReadAllLines(dir.File("pred.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("input").GetString())
            .ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{i:D3}.png"), inputs);
    }

    [Fact]
    public void Train_MissingDataFile_FailsWithOneLine()
    {
        using var dir = new TestDirectory();

        var result = CliProcess.Run(dir.Path, "train", "--data", "absent.csv", "--base", "cnn-28-grey", "--out", "m");

        AssertOneLineError(result, "data not found: absent.csv");
    }

    [Fact]
    public void Train_CsvWithoutLabelColumn_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        var baseModel = InitBert(dir);
        File.WriteAllText(dir.File("bad.csv"), "text,category\ngood,pos\nbad,neg\n");

        var result = CliProcess.Run(dir.Path, "train", "--data", "bad.csv", "--base", baseModel, "--out", "m");

        AssertOneLineError(result, "column 'label' not found; the header has: text, category");
    }

    [Fact]
    public void Eval_UnknownLabel_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        var baseModel = InitBert(dir);
        File.WriteAllText(dir.File("other.csv"), "text,label\ngood,pos\nbad,meh\n");

        var result = CliProcess.Run(dir.Path, "eval", "--model", baseModel, "--data", "other.csv");

        AssertOneLineError(result, "unknown label 'meh'");
    }

    [Fact]
    public void Predict_CorruptImage_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        TestData.WriteImageFolders(dir.File("images"), perLabel: 4);
        var train = CliProcess.Run(dir.Path, "train", "--data", "images", "--base", "cnn-28-grey", "--out", "cnn", "--epochs", "1", "--threads", "1");
        Assert.True(train.ExitCode == 0, train.Error);
        File.WriteAllBytes(dir.File("broken.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0, 1, 2, 3]);

        var result = CliProcess.Run(dir.Path, "predict", "--model", "cnn", "--input", "broken.png", "--output", "p.jsonl");

        AssertOneLineError(result, "broken.png: cannot decode image");
    }

    [Fact]
    public void Train_CorruptImageInData_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        TestData.WriteImageFolders(dir.File("images"), perLabel: 3);
        File.WriteAllText(dir.File("images/dark/zzz.png"), "not an image");

        var result = CliProcess.Run(dir.Path, "train", "--data", "images", "--base", "cnn-28-grey", "--out", "m", "--threads", "1");

        AssertOneLineError(result, "dark/zzz.png: cannot decode image");
    }

    [Fact]
    public void Predict_WeightsWithWrongShape_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        var model = InitBert(dir);
        var weights = SafeTensorsFile.Read(Path.Combine(model, "model.safetensors"));
        var changed = weights.Tensors
            .Select(t => t.Name == "classifier.weight" ? SafeTensor.FromFloat32(t.Name, [3, 16], new float[48]) : t)
            .ToList();
        SafeTensorsWriter.Write(Path.Combine(model, "model.safetensors"), changed);
        File.WriteAllText(dir.File("in.csv"), "text\ngood\n");

        var result = CliProcess.Run(dir.Path, "predict", "--model", model, "--input", "in.csv", "--output", "p.jsonl");

        AssertOneLineError(result, "tensor 'classifier.weight' has shape [3, 16], model expects [2, 16]");
    }

    [Fact]
    public void Train_CheckpointOfOtherModel_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        var baseModel = InitBert(dir);
        TestData.WriteImageFolders(dir.File("images"), perLabel: 4);
        var cnn = CliProcess.Run(dir.Path, "train", "--data", "images", "--base", "cnn-28-grey", "--out", "cnn",
            "--epochs", "1", "--batch-size", "2", "--checkpoint-every", "1", "--checkpoint-dir", "ckpt", "--threads", "1");
        Assert.True(cnn.ExitCode == 0, cnn.Error);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 20);

        var result = CliProcess.Run(dir.Path, "train", "--data", "train.csv", "--base", baseModel, "--out", "bert",
            "--checkpoint-dir", "ckpt", "--threads", "1");

        AssertOneLineError(result, "does not fit the model");
    }

    [Fact]
    public void InitBert_MissingVocab_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        TestData.WriteTinyBertConfig(dir.File("config.json"));

        var result = CliProcess.Run(dir.Path, "init-bert", "--config", "config.json", "--vocab", "vocab.txt", "--labels", "a,b", "--out", "m");

        AssertOneLineError(result, "file not found: vocab.txt");
    }

    [Fact]
    public void Train_UnknownPreset_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        TestData.WriteImageFolders(dir.File("images"), perLabel: 2);

        var result = CliProcess.Run(dir.Path, "train", "--data", "images", "--base", "cnn-99", "--out", "m");

        AssertOneLineError(result, "'cnn-99' is neither a CNN preset");
    }

    private static string InitBert(TestDirectory dir)
    {
        TestData.WriteTinyBertConfig(dir.File("bert-config.json"));
        TestData.WriteVocabulary(dir.File("bert-vocab.txt"));
        var result = CliProcess.Run(dir.Path, "init-bert", "--config", "bert-config.json", "--vocab", "bert-vocab.txt", "--labels", "neg,pos", "--out", "base");
        Assert.True(result.ExitCode == 0, result.Error);
        return dir.File("base");
    }

    private static void AssertOneLineError(CliResult result, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        var error = result.Error.TrimEnd();
        Assert.DoesNotContain('\n', error);
        Assert.StartsWith("platform-cli: error: ", error);
        Assert.Contains(expected, error);
    }
}
