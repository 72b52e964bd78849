using System.CommandLine;
using System.Globalization;
using Platform.Training.Baseline;
using Platform.Training.Data;
using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Cli;

/// <summary>`baseline`: TF-IDF + logistic regression on a labelled CSV, the line a fine-tuned model has to beat.</summary>
internal static class BaselineCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "labelled CSV (text,label)", Required = true };
        var output = new Option<string>("--out") { Description = "folder for the baseline model and metrics.json", Required = true };
        var validation = new Option<double>("--validation-split") { Description = "held out for the metrics (the same split `train` makes)", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 42 };
        var c = new Option<double?>("--c") { Description = "inverse regularisation strength; default: chosen by cross-validation on the training split" };
        var charNgrams = new Option<string?>("--char-ngrams") { Description = "also character n-grams, e.g. 3-5 (about 4x the fitting time)" };
        var textColumn = new Option<string>("--text-column") { DefaultValueFactory = _ => "text" };
        var labelColumn = new Option<string>("--label-column") { DefaultValueFactory = _ => "label" };
        var command = new Command("baseline", "Fit the linear text baseline (TF-IDF + logistic regression) on a CSV.")
        {
            data, output, validation, seed, c, charNgrams, textColumn, labelColumn,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliRunner.Run(() =>
        {
            var options = new BaselineOptions { Seed = parse.GetValue(seed) };
            if (parse.GetValue(c) is { } fixedC)
                options = options with { CandidateC = [fixedC] };
            if (parse.GetValue(charNgrams) is { } range)
                options = options with { CharNgrams = ParseRange(range) };
            var result = BaselineTrainer.Train(parse.GetValue(data)!, parse.GetValue(output)!, split: null, parse.GetValue(validation), options,
                new TextColumns(parse.GetValue(textColumn)!, parse.GetValue(labelColumn)!), ProgressBar.Log, cancellationToken);
            Print(result);
            Console.WriteLine($"baseline written to {result.ModelDirectory}");
            return 0;
        })));
        return command;
    }

    private static (int, int) ParseRange(string range)
    {
        var parts = range.Split('-');
        return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var min)
            && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var max)
            ? (min, max)
            : throw new ArgumentException($"--char-ngrams takes MIN-MAX, e.g. 3-5; got '{range}'");
    }

    public static void Print(BaselineResult result, bool assess = true)
    {
        var metrics = result.Metrics.Evaluation;
        Console.WriteLine($"baseline (TF-IDF + logistic regression, C {result.C.ToString("G3", CultureInfo.InvariantCulture)}, " +
            $"{result.Features:N0} features, {result.TrainingRows:N0} training rows, {result.Seconds:F1} s)");
        Console.WriteLine($"{result.Metrics.Split}: accuracy {metrics.Accuracy:F4}, macro-F1 {metrics.MacroF1:F4} on {metrics.Count} examples");
        if (!assess)
            return;
        // Only the chance check: the advice is about fine-tuning, which this command does not do.
        Warnings.Print(ResultAssessment.Assess(metrics, baseline: null, ModelKind.Bert), advice: false);
    }
}
