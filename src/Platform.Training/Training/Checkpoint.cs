using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Training.Metrics;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;
using Platform.Training.Torch.Optim;

namespace Platform.Training.Training;

/// <summary>Everything besides tensors that an exact resume needs.</summary>
internal sealed class TrainerState
{
    [JsonPropertyName("step")] public long Step { get; set; }
    [JsonPropertyName("epoch")] public int Epoch { get; set; }
    [JsonPropertyName("batch")] public int Batch { get; set; }
    [JsonPropertyName("epoch_loss_sum")] public double EpochLossSum { get; set; }
    [JsonPropertyName("epoch_samples")] public long EpochSamples { get; set; }
    [JsonPropertyName("epoch_seconds")] public double EpochSeconds { get; set; }
    [JsonPropertyName("best_validation_loss")] public double? BestValidationLoss { get; set; }
    [JsonPropertyName("best_macro_f1")] public double? BestMacroF1 { get; set; }
    [JsonPropertyName("best_epoch")] public int? BestEpoch { get; set; }
    /// <summary>The file (in the checkpoint folder) with the weights of <see cref="BestEpoch"/>.</summary>
    [JsonPropertyName("best_weights")] public string? BestWeightsFile { get; set; }
    [JsonPropertyName("epochs_without_improvement")] public int EpochsWithoutImprovement { get; set; }
    [JsonPropertyName("stopped_early")] public bool StoppedEarly { get; set; }
    [JsonPropertyName("history")] public List<EpochRecord> History { get; set; } = [];

    // Identify the run, so a checkpoint is never resumed against other data or settings.
    [JsonPropertyName("labels")] public List<string> Labels { get; set; } = [];
    [JsonPropertyName("train_count")] public int TrainCount { get; set; }
    [JsonPropertyName("total_steps")] public long TotalSteps { get; set; }
    [JsonPropertyName("seed")] public ulong Seed { get; set; }
    // Null in checkpoints written before these were recorded; such a checkpoint resumes unchecked on them.
    [JsonPropertyName("learning_rate")] public double? LearningRate { get; set; }
    [JsonPropertyName("max_sequence_length")] public int? MaxSequenceLength { get; set; }
    [JsonPropertyName("batch_size")] public int? BatchSize { get; set; }
    [JsonPropertyName("torch_rng_state")] public string TorchRngState { get; set; } = "";
}

/// <summary>
/// Checkpoint folders "checkpoint-{step}" holding model.safetensors, optimizer.safetensors and
/// trainer_state.json; the file "latest" names the newest complete one.
/// </summary>
internal static class Checkpoint
{
    private const string LatestFile = "latest";
    private const string ModelFile = "model.safetensors";
    private const string OptimizerFile = "optimizer.safetensors";
    private const string StateFile = "trainer_state.json";
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static string Save(string root, Module model, AdamW optimizer, TrainerState state)
    {
        Directory.CreateDirectory(root);
        var name = $"checkpoint-{state.Step:D8}";
        var final = Path.Combine(root, name);
        var partial = Path.Combine(root, $".{name}.partial");
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }

        Directory.CreateDirectory(partial);
        state.TorchRngState = Convert.ToBase64String(Torch.Torch.GetRngState());
        TensorFiles.Save(Path.Combine(partial, ModelFile), model.StateDict());
        var optimizerState = optimizer.StateDict();
        try
        {
            TensorFiles.Save(Path.Combine(partial, OptimizerFile), optimizerState);
        }
        finally
        {
            foreach (var tensor in optimizerState.Values)
            {
                tensor.Dispose();
            }
        }

        File.WriteAllText(Path.Combine(partial, StateFile), JsonSerializer.Serialize(state, JsonOptions));
        if (Directory.Exists(final))
        {
            Directory.Delete(final, recursive: true);
        }

        // The folder appears complete or not at all; "latest" moves only after it exists.
        Directory.Move(partial, final);
        var latestTemporary = Path.Combine(root, LatestFile + ".tmp");
        File.WriteAllText(latestTemporary, name);
        File.Move(latestTemporary, Path.Combine(root, LatestFile), overwrite: true);
        foreach (var old in Directory.EnumerateDirectories(root, "checkpoint-*"))
        {
            if (Path.GetFileName(old) != name)
            {
                Directory.Delete(old, recursive: true);
            }
        }

        return final;
    }

    public static string? FindLatest(string root)
    {
        var latest = Path.Combine(root, LatestFile);
        if (!File.Exists(latest))
        {
            return null;
        }

        var folder = Path.Combine(root, File.ReadAllText(latest).Trim());
        return Directory.Exists(folder) ? folder : throw new InvalidDataException($"{latest} names a missing checkpoint folder");
    }

    /// <summary>Restores model, optimiser and RNG; the caller checks the state against its run.</summary>
    public static TrainerState Load(string folder, Module model, AdamW optimizer, Device device)
    {
        var statePath = Path.Combine(folder, StateFile);
        TrainerState state;
        try
        {
            state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), JsonOptions)
                ?? throw new InvalidDataException($"{statePath} is empty");
        }
        catch (Exception e) when (e is JsonException or FileNotFoundException)
        {
            throw new InvalidDataException($"{statePath}: not a trainer state ({e.Message})", e);
        }

        var modelTensors = TensorFiles.Load(Path.Combine(folder, ModelFile), device);
        try
        {
            model.LoadStateDict(modelTensors);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"checkpoint {folder} does not fit the model: {e.Message}", e);
        }
        finally
        {
            ClassifierModel.DisposeAll(modelTensors);
        }

        var optimizerTensors = TensorFiles.Load(Path.Combine(folder, OptimizerFile), device);
        try
        {
            optimizer.LoadStateDict(optimizerTensors);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or KeyNotFoundException or TorchException)
        {
            throw new InvalidDataException($"checkpoint {folder} does not fit the optimiser: {e.Message}", e);
        }
        finally
        {
            ClassifierModel.DisposeAll(optimizerTensors);
        }

        Torch.Torch.SetRngState(Convert.FromBase64String(state.TorchRngState));
        return state;
    }
}

/// <summary>
/// The weights of the best epoch so far, "best-epoch-{N}.safetensors" beside the checkpoints. A new
/// best never deletes the file the newest checkpoint names, so a resume always finds its best.
/// </summary>
internal static class BestWeights
{
    private const string Prefix = "best-epoch-";

    public static string Save(string root, Module model, int epoch)
    {
        Directory.CreateDirectory(root);
        var name = $"{Prefix}{epoch:D4}.safetensors";
        var temporary = Path.Combine(root, "." + name + ".partial");
        TensorFiles.Save(temporary, model.StateDict());
        File.Move(temporary, Path.Combine(root, name), overwrite: true);
        return name;
    }

    public static void Load(string root, string name, Module model, Device device)
    {
        var path = Path.Combine(root, name);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"the best epoch's weights {path} are missing");
        }

        var tensors = TensorFiles.Load(path, device);
        try
        {
            model.LoadStateDict(tensors);
        }
        finally
        {
            ClassifierModel.DisposeAll(tensors);
        }
    }

    /// <summary>Deletes the best-epoch files of epochs before <paramref name="epoch"/>.</summary>
    public static void DeleteBefore(string root, int epoch)
    {
        foreach (var file in Directory.EnumerateFiles(root, Prefix + "*.safetensors"))
        {
            var digits = Path.GetFileNameWithoutExtension(file)[Prefix.Length..];
            if (int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var other)
                && other < epoch)
            {
                File.Delete(file);
            }
        }
    }

    public static void DeleteOthers(string root, params string?[] keep)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(root, Prefix + "*.safetensors"))
        {
            if (!keep.Contains(Path.GetFileName(file)))
            {
                File.Delete(file);
            }
        }
    }
}

/// <summary>
/// Moves checkpoints between folders for a caller that keeps them elsewhere than where it trains: the
/// job system trains against a folder on the worker's own disk and publishes checkpoints to shared
/// storage under the run's fencing token (decision 0019). A checkpoint travels with the best-epoch
/// weights its state names, and arrives complete or not at all.
/// </summary>
public static class CheckpointTransfer
{
    private const string LatestFile = "latest";
    private const string StateFile = "trainer_state.json";

    /// <summary>The folder name of the checkpoint at <paramref name="step"/>.</summary>
    public static string FolderName(long step) => $"checkpoint-{step:D8}";

    /// <summary>The step a checkpoint folder holds, from its trainer state.</summary>
    public static long Step(string checkpointFolder) => ReadState(checkpointFolder).Step;

    /// <summary>
    /// Copies <paramref name="checkpointFolder"/> and the best-epoch weights its state names (from the
    /// folder's parent) into <paramref name="destinationRoot"/>. With <paramref name="markLatest"/> the
    /// destination's "latest" names it, so a trainer pointed at that root resumes from it. Returns the
    /// copy's folder.
    /// </summary>
    public static string Copy(string checkpointFolder, string destinationRoot, bool markLatest)
    {
        var state = ReadState(checkpointFolder);
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpointFolder));
        Directory.CreateDirectory(destinationRoot);
        if (state.BestWeightsFile is { } best)
        {
            var source = Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(checkpointFolder))!, best);
            if (!File.Exists(source))
            {
                throw new InvalidDataException($"checkpoint {checkpointFolder} names best weights {best}, which are missing");
            }

            var temporary = Path.Combine(destinationRoot, "." + best + ".partial");
            File.Copy(source, temporary, overwrite: true);
            File.Move(temporary, Path.Combine(destinationRoot, best), overwrite: true);
        }

        var final = Path.Combine(destinationRoot, name);
        if (!Directory.Exists(final))
        {
            var partial = Path.Combine(destinationRoot, $".{name}.partial");
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }

            Directory.CreateDirectory(partial);
            foreach (var file in Directory.EnumerateFiles(checkpointFolder))
            {
                File.Copy(file, Path.Combine(partial, Path.GetFileName(file)));
            }

            Directory.Move(partial, final);
        }

        if (markLatest)
        {
            var latestTemporary = Path.Combine(destinationRoot, LatestFile + ".tmp");
            File.WriteAllText(latestTemporary, name);
            File.Move(latestTemporary, Path.Combine(destinationRoot, LatestFile), overwrite: true);
        }

        return final;
    }

    /// <summary>
    /// Deletes the checkpoints in <paramref name="root"/> older than <paramref name="keepCheckpointFolder"/>
    /// (complete or partial) and the best-epoch files older than the one it names. Newer ones stay: the
    /// job system prunes after a publication reaches the database, which can be well after the trainer
    /// has copied its next checkpoint (reports wait out a database outage), and deleting that copy, or
    /// the best weights it names, left a resume point that could not be resumed from (issue 10: a job
    /// failed an attempt after the chaos run's faults).
    /// </summary>
    public static void Prune(string root, string keepCheckpointFolder)
    {
        var keep = Path.GetFileName(Path.TrimEndingDirectorySeparator(keepCheckpointFolder));
        var kept = ReadState(keepCheckpointFolder);
        foreach (var folder in Directory.EnumerateDirectories(root))
        {
            var name = Path.GetFileName(folder);
            if (name != keep && FolderStep(name) is { } step && step < kept.Step)
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        // Best epochs only move forward with the steps, so a newer checkpoint never names an older file.
        if (kept.BestEpoch is { } bestEpoch)
        {
            BestWeights.DeleteBefore(root, bestEpoch);
        }
    }

    /// <summary>The step of "checkpoint-{step}" or of a copy in progress, ".checkpoint-{step}.partial"; null for anything else.</summary>
    private static long? FolderStep(string name)
    {
        var digits = name.StartsWith("checkpoint-", StringComparison.Ordinal) ? name["checkpoint-".Length..]
            : name.StartsWith(".checkpoint-", StringComparison.Ordinal) && name.EndsWith(".partial", StringComparison.Ordinal)
                ? name[".checkpoint-".Length..^".partial".Length]
                : null;
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var step)
            ? step
            : null;
    }

    private static TrainerState ReadState(string checkpointFolder)
    {
        var path = Path.Combine(checkpointFolder, StateFile);
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a trainer state ({e.Message})", e);
        }
    }
}
