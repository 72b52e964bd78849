using System.CommandLine;
using System.Text.Json;
using Platform.Training.Baseline;
using Platform.Training.Data;
using Platform.Training.Training;

namespace Platform.Cli;

internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "trained model folder, or a model's baseline/ folder", Required = true };
        var input = new Option<string>("--input") { Description = "CSV with a text column (BERT); an image or a folder of images (CNN); CSV rows or JSON objects of column values (tabular)", Required = true };
        var output = new Option<string>("--output") { Description = "JSON Lines file, one object per input in input order", Required = true };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var maxLength = new Option<int>("--max-len") { DefaultValueFactory = _ => 128 };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads");
        var textColumn = new Option<string>("--text-column") { DefaultValueFactory = _ => "text" };
        var command = new Command("predict", "Classify texts or images with a model folder.")
        {
            model, input, output, batchSize, maxLength, device, threads, textColumn,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var inputPath = parse.GetValue(input)!;
            var modelPath = parse.GetValue(model)!;
            IReadOnlyList<Prediction> predictions;
            IReadOnlyList<string>? names = null;
            if (LinearTextClassifier.IsModelFolder(modelPath))
            {
                // The linear baseline (a model's baseline/ folder): pure managed code, no libtorch.
                var texts = ReadTexts(inputPath, parse.GetValue(textColumn)!, "the baseline");
                predictions = LinearTextClassifier.Load(modelPath).Predict(texts);
            }
            else
            {
                var selected = CliRunner.Setup(parse.GetValue(device)!, parse.GetValue(threads));
                using var classifier = ClassifierModel.Load(modelPath, selected);
                if (classifier is TabularClassifier table)
                {
                    predictions = PredictTable(table, inputPath);
                }
                else if (classifier is BertClassifier bert)
                {
                    var texts = ReadTexts(inputPath, parse.GetValue(textColumn)!, "a BERT model");
                    predictions = bert.Predict(texts, parse.GetValue(maxLength), parse.GetValue(batchSize));
                }
                else
                {
                    var images = ImageDataset.LoadUnlabelled(inputPath);
                    names = images.Select(i => i.Name).ToList();
                    predictions = ((CnnImageClassifier)classifier).Predict(images.Select(i => (i.Name, i.ReadBytes())).ToList(), parse.GetValue(batchSize));
                }
            }

            Write(parse.GetValue(output)!, predictions, names);
            Console.WriteLine($"{predictions.Count} predictions written to {parse.GetValue(output)}");
            return 0;
        }));
        return command;
    }

    /// <summary>A CSV with the model's columns, or a JSON file: one object, an array of objects, or JSON Lines.</summary>
    private static IReadOnlyList<Prediction> PredictTable(TabularClassifier model, string inputPath)
    {
        if (inputPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            return model.Predict(Platform.Training.Tabular.TabularTable.Load(inputPath));
        }

        if (!File.Exists(inputPath))
        {
            throw new FileNotFoundException($"input not found: {inputPath}", inputPath);
        }

        var text = File.ReadAllText(inputPath).Trim();
        var rows = new List<IReadOnlyDictionary<string, string?>>();
        try
        {
            if (text.StartsWith('['))
            {
                using var document = JsonDocument.Parse(text);
                rows.AddRange(document.RootElement.EnumerateArray().Select(Platform.Training.Tabular.TabularRow.FromJson));
            }
            else
            {
                // JSON Lines (one object a line), or a single object over several lines.
                var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                foreach (var line in lines.All(l => l.StartsWith('{') && l.EndsWith('}')) ? lines : [text])
                {
                    using var document = JsonDocument.Parse(line);
                    rows.Add(Platform.Training.Tabular.TabularRow.FromJson(document.RootElement));
                }
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{inputPath}: not JSON objects of column values ({e.Message})", e);
        }

        return model.Predict(rows);
    }

    private static List<string> ReadTexts(string inputPath, string textColumn, string reader)
    {
        if (Directory.Exists(inputPath) || !inputPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{reader} reads a CSV with a '{textColumn}' column; {inputPath} is not a .csv file");
        }

        return TextDataset.LoadCsv(inputPath, new TextColumns(textColumn), labelsOptional: true).Select(r => r.Text).ToList();
    }

    private static void Write(string path, IReadOnlyList<Prediction> predictions, IReadOnlyList<string>? names)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        using var stream = File.Create(path);
        for (var i = 0; i < predictions.Count; i++)
        {
            var prediction = predictions[i];
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                if (names is not null)
                {
                    json.WriteString("input", names[i]);
                }

                json.WriteString("label", prediction.Label);
                json.WriteStartObject("scores");
                foreach (var (label, score) in prediction.Scores)
                {
                    json.WriteNumber(label, score);
                }

                json.WriteEndObject();
                json.WriteStartArray("logits");
                foreach (var logit in prediction.Logits)
                {
                    json.WriteNumberValue(logit);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            stream.WriteByte((byte)'\n');
        }
    }
}
