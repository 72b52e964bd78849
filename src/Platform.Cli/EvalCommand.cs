using System.CommandLine;
using Platform.Training.Baseline;
using Platform.Training.Data;
using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Cli;

internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "trained model folder, or a model's baseline/ folder", Required = true };
        var data = new Option<string>("--data") { Description = "labelled CSV (BERT) or ZIP/folder of label folders (CNN)", Required = true };
        var output = new Option<string?>("--output") { Description = "metrics file (default <model>/eval_metrics.json)" };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var maxLength = new Option<int>("--max-len") { DefaultValueFactory = _ => 128 };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads");
        var textColumn = new Option<string>("--text-column") { DefaultValueFactory = _ => "text" };
        var labelColumn = new Option<string>("--label-column") { DefaultValueFactory = _ => "label" };
        var command = new Command("eval", "Evaluate a model folder on labelled data.")
        {
            model, data, output, batchSize, maxLength, device, threads, textColumn, labelColumn,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var modelPath = parse.GetValue(model)!;
            var dataPath = parse.GetValue(data)!;
            var columns = new TextColumns(parse.GetValue(textColumn)!, parse.GetValue(labelColumn)!);
            ClassificationMetrics metrics;
            if (LinearTextClassifier.IsModelFolder(modelPath))
            {
                metrics = LinearTextClassifier.Load(modelPath).Evaluate(TextDataset.LoadCsv(RequireCsv(dataPath, "the baseline"), columns));
            }
            else
            {
                var selected = CliRunner.Setup(parse.GetValue(device)!, parse.GetValue(threads));
                using var classifier = ClassifierModel.Load(modelPath, selected);
                if (classifier.Kind == ModelKind.Bert)
                {
                    RequireCsv(dataPath, "a BERT model");
                }

                metrics = Trainer.Evaluate(classifier, dataPath, parse.GetValue(batchSize), parse.GetValue(maxLength), columns);
            }

            var path = parse.GetValue(output) ?? Path.Combine(modelPath, "eval_metrics.json");
            MetricsFile.Write(path, new MetricsReport(metrics, Path.GetFileName(dataPath.TrimEnd('/')), []));
            Print(metrics);
            Console.WriteLine($"metrics written to {path}");
            return 0;
        }));
        return command;
    }

    private static string Area(double? value) => value is { } v ? v.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) : "-";

    private static string RequireCsv(string dataPath, string model) =>
        File.Exists(dataPath) && dataPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? dataPath
            : throw new InvalidDataException($"{model} is evaluated on a CSV file; {dataPath} is not one");

    private static void Print(ClassificationMetrics metrics)
    {
        Console.WriteLine($"accuracy {metrics.Accuracy:F4}  macro-F1 {metrics.MacroF1:F4}  macro ROC AUC {Area(metrics.Curves?.MacroRocAuc)}"
            + $"  macro AP {Area(metrics.Curves?.MacroAveragePrecision)}  ({metrics.Count} examples)");
        var width = Math.Max(5, metrics.Labels.Max(l => l.Length));
        Console.WriteLine($"{"label".PadRight(width)}  precision  recall  f1      roc_auc  avg_prec  support");
        for (var i = 0; i < metrics.PerClass.Count; i++)
        {
            var c = metrics.PerClass[i];
            var curves = metrics.Curves?.PerClass[i];
            Console.WriteLine($"{c.Label.PadRight(width)}  {c.Precision,9:F4}  {c.Recall,6:F4}  {c.F1,6:F4}  {Area(curves?.RocAuc),7}  {Area(curves?.AveragePrecision),8}  {c.Support,7}");
        }
    }
}
