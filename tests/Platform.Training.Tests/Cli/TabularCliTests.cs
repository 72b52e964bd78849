using System.Text.Json;
using Platform.Training.Metrics;
using Platform.Training.Tests.Common;

namespace Platform.Training.Tests.Cli;

public sealed class TabularCliTests
{
    [Fact]
    public void TrainPredictEval_ChurnTable_EndToEnd()
    {
        using var dir = new TestDirectory();
        TestData.WriteChurnCsv(dir.File("churn.csv"), 300);
        File.WriteAllText(dir.File("rows.csv"), "tenure,monthly_charges,contract\n2,115,month-to-month\n70,22,two-year\n");
        File.WriteAllText(dir.File("rows.jsonl"), "{\"tenure\": 2, \"monthly_charges\": 115, \"contract\": \"month-to-month\"}\n{\"tenure\": 70, \"monthly_charges\": 22.0, \"contract\": \"two-year\"}\n");

        var train = CliProcess.Run(dir.Path, "train", "--data", "churn.csv", "--base", "tabular-mlp", "--target", "churn",
            "--exclude", "customer_id", "--out", "model", "--epochs", "25", "--threads", "1");
        var fromCsv = CliProcess.Run(dir.Path, "predict", "--model", "model", "--input", "rows.csv", "--output", "csv.jsonl");
        var fromJson = CliProcess.Run(dir.Path, "predict", "--model", "model", "--input", "rows.jsonl", "--output", "json.jsonl");
        var eval = CliProcess.Run(dir.Path, "eval", "--model", "model", "--data", "churn.csv", "--output", "eval.json");
        var noTarget = CliProcess.Run(dir.Path, "train", "--data", "churn.csv", "--base", "tabular-mlp", "--out", "other");

        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Contains("macro ROC AUC", train.Output);
        Assert.True(File.Exists(dir.File("model/preprocessing.json")));
        Assert.False(Directory.Exists(dir.File("model/baseline")));
        Assert.True(fromCsv.ExitCode == 0, fromCsv.Error);
        Assert.True(fromJson.ExitCode == 0, fromJson.Error);
        var csvLabels = File.ReadAllLines(dir.File("csv.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("label").GetString()).ToList();
        Assert.Equal(["yes", "no"], csvLabels);
        Assert.Equal(File.ReadAllLines(dir.File("csv.jsonl")), File.ReadAllLines(dir.File("json.jsonl")));
        Assert.True(eval.ExitCode == 0, eval.Error);
        var evaluation = MetricsFile.Read(dir.File("eval.json")).Evaluation;
        Assert.Equal(300, evaluation.Count);
        Assert.True(evaluation.Curves!.MacroRocAuc > 0.9);
        Assert.NotEqual(0, noTarget.ExitCode);
        Assert.Contains("needs --target", noTarget.Error);
    }
}
