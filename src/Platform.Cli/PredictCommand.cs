using System.CommandLine;
using System.Text.Json;
using Platform.Training.Data;
using Platform.Training.Training;

namespace Platform.Cli;

internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "trained model folder", Required = true };
        var input = new Option<string>("--input") { Description = "CSV with a text column (BERT); an image or a folder of images (CNN)", Required = true };
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
            var selected = CliRunner.Setup(parse.GetValue(device)!, parse.GetValue(threads));
            var inputPath = parse.GetValue(input)!;
            using var classifier = ClassifierModel.Load(parse.GetValue(model)!, selected);
            IReadOnlyList<Prediction> predictions;
            IReadOnlyList<string>? names = null;
            if (classifier is BertClassifier bert)
            {
                if (Directory.Exists(inputPath) || !inputPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidDataException($"a BERT model reads a CSV with a '{parse.GetValue(textColumn)}' column; {inputPath} is not a .csv file");
                }

                var rows = TextDataset.LoadCsv(inputPath, new TextColumns(parse.GetValue(textColumn)!), labelsOptional: true);
                predictions = bert.Predict(rows.Select(r => r.Text).ToList(), parse.GetValue(maxLength), parse.GetValue(batchSize));
            }
            else
            {
                var images = ImageDataset.LoadUnlabelled(inputPath);
                names = images.Select(i => i.Name).ToList();
                predictions = ((CnnImageClassifier)classifier).Predict(images.Select(i => (i.Name, i.ReadBytes())).ToList(), parse.GetValue(batchSize));
            }

            Write(parse.GetValue(output)!, predictions, names);
            Console.WriteLine($"{predictions.Count} predictions written to {parse.GetValue(output)}");
            return 0;
        }));
        return command;
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
