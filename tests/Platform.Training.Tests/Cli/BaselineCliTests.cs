using System.Text.Json;
using Platform.Training.Metrics;
using Platform.Training.Tests.Common;
using Platform.Training.Training;

namespace Platform.Training.Tests.Cli;

public sealed class BaselineCliTests
{
    [Fact]
    public void BaselinePredictEval_Csv_WritesAUsableBaselineFolder()
    {
        using var dir = new TestDirectory();
        TestData.WriteSentimentCsv(dir.File("train.csv"), 60);
        File.WriteAllText(dir.File("input.csv"), "text\n\"good, great\"\nbad awful\nthe movie\n");

        var fit = CliProcess.Run(dir.Path, "baseline", "--data", "train.csv", "--out", "bl", "--validation-split", "0.2");
        var predict = CliProcess.Run(dir.Path, "predict", "--model", "bl", "--input", "input.csv", "--output", "pred.jsonl");
        var eval = CliProcess.Run(dir.Path, "eval", "--model", "bl", "--data", "train.csv", "--output", "eval.json");

        Assert.True(fit.ExitCode == 0, fit.Error);
        Assert.Contains("baseline (TF-IDF + logistic regression", fit.Output);
        Assert.Contains("validation: accuracy 1.0000, macro-F1 1.0000 on 12 examples", fit.Output);
        Assert.True(predict.ExitCode == 0, predict.Error);
        var predictions = File.ReadAllLines(dir.File("pred.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["pos", "neg"], predictions.Take(2).Select(p => p.GetProperty("label").GetString()));
        Assert.All(predictions, p => Assert.Equal(2, p.GetProperty("logits").GetArrayLength()));
        Assert.True(eval.ExitCode == 0, eval.Error);
        var evaluation = MetricsFile.Read(dir.File("eval.json")).Evaluation;
        Assert.Equal(60, evaluation.Count);
        // Separable sentiment: every positive scores above every negative.
        Assert.Equal(1.0, evaluation.Curves!.MacroRocAuc!.Value, 12);
        Assert.Contains("macro ROC AUC 1.0000", eval.Output);
        Assert.Contains("roc_auc", eval.Output);
    }

    [Fact]
    public void Train_Csv_FitsTheBaselineOnTheSameSplitAndSaysWhenItIsBetter()
    {
        using var dir = new TestDirectory();
        TestData.WriteTinyBertConfig(dir.File("bert-config.json"));
        TestData.WriteVocabulary(dir.File("bert-vocab.txt"));
        var init = CliProcess.Run(dir.Path, "init-bert", "--config", "bert-config.json", "--vocab", "bert-vocab.txt", "--labels", "neg,pos", "--out", "base");
        Assert.True(init.ExitCode == 0, init.Error);
        TestData.WriteSentimentCsv(dir.File("train.csv"), 40);

        var train = CliProcess.Run(dir.Path, "train", "--data", "train.csv", "--base", "base", "--out", "model",
            "--epochs", "1", "--batch-size", "8", "--max-len", "16", "--threads", "1", "--validation-split", "0.25");

        Assert.True(train.ExitCode == 0, train.Error);
        var model = MetricsFile.Read(dir.File("model/metrics.json")).Evaluation;
        var baseline = MetricsFile.Read(dir.File("model/baseline/metrics.json")).Evaluation;
        Assert.Equal(model.Count, baseline.Count);
        Assert.Equal(model.PerClass.Select(c => c.Support), baseline.PerClass.Select(c => c.Support));
        Assert.Contains($"baseline written to {Path.Combine("model", "baseline")}", train.Output);
        var assessment = ResultAssessment.Assess(model, baseline, ModelKind.Bert);
        Assert.Equal(assessment.Warning, train.Output.Contains("WARNING:"));
        foreach (var warning in assessment.Warnings)
            Assert.Contains(warning.Message, train.Output);
    }

    [Fact]
    public void Predict_BaselineFolderOnAnImageFolder_IsAOneLineError()
    {
        using var dir = new TestDirectory();
        TestData.WriteSentimentCsv(dir.File("train.csv"), 20);
        Assert.Equal(0, CliProcess.Run(dir.Path, "baseline", "--data", "train.csv", "--out", "bl").ExitCode);
        TestData.WriteImageFolders(dir.File("images"), perLabel: 1);

        var result = CliProcess.Run(dir.Path, "predict", "--model", "bl", "--input", "images", "--output", "p.jsonl");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the baseline reads a CSV with a 'text' column", result.Error);
    }
}
