using System.CommandLine;
using Platform.Training.Baseline;
using Platform.Training.Data;
using Platform.Training.Distributed;
using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Cli;

internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "CSV (text,label) for BERT; ZIP or folder of label folders for a CNN", Required = true };
        var baseModel = new Option<string>("--base") { Description = "BERT or DistilBERT model folder, CNN model folder, CNN/MLP image preset (cnn-28-grey, mlp-28-grey, cnn-32-rgb, resnet-small), or tabular-mlp for a table with --target", Required = true };
        var output = new Option<string>("--out") { Description = "folder for the trained model and metrics.json", Required = true };
        var preset = new Option<string>("--preset") { Description = "training budget: fast, balanced or best (the settings below override it)", DefaultValueFactory = _ => TrainingPreset.Default };
        var epochs = new Option<int?>("--epochs") { Description = "default: the preset's, raised until the run takes its minimum number of steps" };
        var batchSize = new Option<int?>("--batch-size") { Description = "default: 32 texts or 64 images, at most a sixteenth of the data" };
        var learningRate = new Option<double?>("--lr") { Description = "default by starting point: pre-trained text 5e-5 (higher for narrow encoders), text from scratch 5e-4, CNN 1e-3" };
        var maxLength = new Option<int>("--max-len") { Description = "max tokens per text (BERT)", DefaultValueFactory = _ => 128 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 42 };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads (default: all cores; give fewer when the machine is shared)" };
        var validation = new Option<double>("--validation-split") { DefaultValueFactory = _ => 0.1 };
        var patience = new Option<int?>("--patience") { Description = "epochs without a better validation macro-F1 before stopping (0: off; default: the preset's)" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "steps between checkpoints (0: none)" };
        var checkpointDir = new Option<string?>("--checkpoint-dir") { Description = "resume from / write checkpoints here (default <out>/checkpoints)" };
        var flip = new Option<bool>("--flip") { Description = "random horizontal flips of training images" };
        var background = new Option<string?>("--background") { Description = "what transparent image pixels become for a CNN preset: white (default), black or #rrggbb" };
        var textColumn = new Option<string>("--text-column") { DefaultValueFactory = _ => "text" };
        var labelColumn = new Option<string>("--label-column") { DefaultValueFactory = _ => "label" };
        var target = new Option<string?>("--target") { Description = $"the column to predict ({TabularClassifier.Preset} on a table)" };
        var exclude = new Option<string[]>("--exclude") { Description = "columns of a table to leave out (ids, names); repeat or separate with commas", AllowMultipleArgumentsPerToken = true };
        var rank = new Option<int?>("--rank") { Description = "data-parallel: this process's rank, 0 to world size - 1 (rank 0 writes the model)" };
        var worldSize = new Option<int?>("--world-size") { Description = "data-parallel: number of ranks; --batch-size is the global batch, split between them" };
        var master = new Option<string?>("--master") { Description = "data-parallel: host:port where rank 0 hosts the rendezvous (every rank gives the same)" };
        var distTimeout = new Option<double>("--dist-timeout") { Description = "data-parallel: seconds to wait for the other ranks in the rendezvous and in any collective", DefaultValueFactory = _ => 1800 };
        var command = new Command("train", "Fine-tune a BERT or train a CNN classifier.")
        {
            data, baseModel, output, preset, epochs, batchSize, learningRate, maxLength, seed, device, threads,
            validation, patience, checkpointEvery, checkpointDir, flip, background, textColumn, labelColumn, target, exclude,
            rank, worldSize, master, distTimeout,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliRunner.Run(() =>
        {
            var options = new TrainingOptions
            {
                Preset = parse.GetValue(preset),
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(learningRate),
                MaxSequenceLength = parse.GetValue(maxLength),
                Seed = parse.GetValue(seed),
                Device = parse.GetValue(device)!,
                Threads = parse.GetValue(threads),
                ValidationFraction = parse.GetValue(validation),
                EarlyStoppingPatience = parse.GetValue(patience),
                CheckpointEverySteps = parse.GetValue(checkpointEvery),
                HorizontalFlip = parse.GetValue(flip),
                ImageBackground = parse.GetValue(background),
                TextColumns = new TextColumns(parse.GetValue(textColumn)!, parse.GetValue(labelColumn)!),
                TabularColumns = parse.GetValue(target) is { } targetColumn
                    ? new Platform.Training.Tabular.TabularColumns(targetColumn, SplitList(parse.GetValue(exclude)))
                    : null,
            };
            var tabular = parse.GetValue(baseModel) == TabularClassifier.Preset;
            if (tabular && options.TabularColumns is null)
            {
                throw new ArgumentException($"{TabularClassifier.Preset} needs --target: the column to predict");
            }
            var dataPath = parse.GetValue(data)!;
            if (!File.Exists(dataPath) && !Directory.Exists(dataPath))
            {
                throw new FileNotFoundException($"data not found: {dataPath}", dataPath);
            }

            var bar = new ProgressBar();
            var distributed = DistributedFrom(parse.GetValue(rank), parse.GetValue(worldSize), parse.GetValue(master), parse.GetValue(distTimeout));
            var request = new TrainingRequest(dataPath, parse.GetValue(baseModel)!, parse.GetValue(output)!, options, parse.GetValue(checkpointDir),
                Distributed: distributed);
            var result = Trainer.Train(request, new TrainingCallbacks
            {
                Progress = bar.Report,
                EpochCompleted = bar.Epoch,
                Log = ProgressBar.Log,
            }, cancellationToken);
            var metrics = result.Metrics.Evaluation;
            if (distributed is { Rank: > 0 })
            {
                // Rank 0 writes the model, its metrics and the baseline; the other ranks only trained.
                Console.WriteLine($"rank {distributed.Rank} of {distributed.WorldSize}: trained {result.Steps} steps, {result.EpochsCompleted} epochs; " +
                    $"{result.Metrics.Split}: accuracy {metrics.Accuracy:F4}; rank 0 writes the model");
                return 0;
            }

            Console.WriteLine($"trained {result.Steps} steps, {result.EpochsCompleted} epochs{(result.StoppedEarly ? " (stopped early)" : "")}" +
                (result.Metrics.SelectedEpoch is { } selected ? $"; the model is epoch {selected}'s (best validation macro-F1)" : ""));
            Console.WriteLine($"{result.Metrics.Split}: accuracy {metrics.Accuracy:F4}, macro-F1 {metrics.MacroF1:F4}, " +
                $"macro ROC AUC {metrics.MacroRocAuc?.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) ?? "-"} on {metrics.Count} examples");
            Console.WriteLine($"model written to {result.ModelDirectory}");
            BaselineResult? baseline = null;
            if (!tabular && File.Exists(dataPath) && dataPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            {
                // Same data, same split: the line the fine-tuned model has to beat.
                baseline = BaselineTrainer.Train(request, log: ProgressBar.Log, cancellationToken: cancellationToken);
                BaselineCommand.Print(baseline, assess: false);
                Console.WriteLine($"baseline written to {baseline.ModelDirectory}");
            }

            var kind = ClassifierModel.DetectKind(result.ModelDirectory);
            Warnings.Print(ResultAssessment.Assess(metrics, baseline?.Metrics.Evaluation, kind));
            return 0;
        })));
        return command;
    }

    /// <summary>--rank, --world-size and --master together (or none: one process).</summary>
    internal static DistributedOptions? DistributedFrom(int? rank, int? worldSize, string? master, double timeoutSeconds)
    {
        if (rank is null && worldSize is null && master is null)
        {
            return null;
        }

        if (rank is null || worldSize is null || master is null)
        {
            throw new ArgumentException("data-parallel training needs --rank, --world-size and --master host:port together");
        }

        var colon = master.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(master[(colon + 1)..], out var port))
        {
            throw new ArgumentException($"--master must be host:port, not '{master}'");
        }

        var options = new DistributedOptions(rank.Value, worldSize.Value, master[..colon].Trim('[', ']'), port, TimeSpan.FromSeconds(timeoutSeconds));
        options.Validate();
        return options;
    }

    internal static string[] SplitList(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
}
