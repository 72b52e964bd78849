using System.Diagnostics;
using Platform.Training.Data;
using Platform.Training.Metrics;
using Platform.Training.Torch;
using Platform.Training.Torch.Optim;

namespace Platform.Training.Training;

/// <summary>One training run: data, model, optimiser and schedule, and the loop over them.</summary>
internal sealed class TrainingRun : IDisposable
{
    private readonly TrainingRequest _request;
    private readonly TrainingOptions _options;
    private readonly ClassifierModel _model;
    private readonly TrainingData _data;
    private readonly DataSplit _split;
    private readonly ShuffledBatches _batches;
    private readonly AdamW _optimizer;
    private readonly LinearWarmupSchedule _schedule;
    private readonly long _totalSteps;

    private TrainingRun(TrainingRequest request, ClassifierModel model, TrainingData data, double learningRate, double weightDecay, double warmupFraction)
    {
        _request = request;
        _options = request.Options;
        _model = model;
        _data = data;
        _split = request.Split?.CheckedAgainst(data.Count)
            ?? DataSplit.Stratified(data.LabelIds, _options.ValidationFraction, _options.Seed);
        if (_split.Train.Length == 0)
        {
            throw new InvalidDataException("no training examples are left after the validation split");
        }

        _batches = new ShuffledBatches(_split.Train.Length, _options.BatchSize, _options.Seed);
        _totalSteps = (long)_options.Epochs * _batches.BatchesPerEpoch;
        _optimizer = AdamW.ForModel(model.Module, learningRate, weightDecay);
        _schedule = new LinearWarmupSchedule(learningRate, (long)Math.Round(_totalSteps * warmupFraction), _totalSteps);
    }

    public static TrainingRun Prepare(TrainingRequest request, Device device, Action<string>? log)
    {
        var options = request.Options;
        if (File.Exists(request.DataPath) && request.DataPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            var examples = TextDataset.LoadCsv(request.DataPath, options.TextColumns);
            var labels = LabelVocabulary.FromData(examples.Select(e => e.Label!));
            if (ClassifierModel.DetectKind(request.BaseModel) != ModelKind.Bert)
            {
                throw new InvalidDataException($"text data needs a BERT base model; {request.BaseModel} is a CNN");
            }

            // Seeded before the model exists: its classifier initialisation draws from the generator.
            Torch.Torch.ManualSeed(options.Seed);
            var model = BertClassifier.ForFineTuning(request.BaseModel, labels.Labels, device, log);
            try
            {
                var data = TextTrainingData.Create(model, examples, labels, options.MaxSequenceLength);
                return new TrainingRun(request, model, data, options.LearningRate ?? 5e-5, options.WeightDecay ?? 0.01, options.WarmupFraction ?? 0.1);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }

        var images = ImageDataset.Load(request.DataPath);
        var imageLabels = LabelVocabulary.FromData(images.Select(e => e.Label!));
        if (Directory.Exists(request.BaseModel) && ClassifierModel.DetectKind(request.BaseModel) != ModelKind.Cnn)
        {
            throw new InvalidDataException($"image data needs a CNN preset or CNN model folder; {request.BaseModel} is a BERT model");
        }

        Torch.Torch.ManualSeed(options.Seed);
        var cnn = CnnImageClassifier.ForTraining(request.BaseModel, imageLabels.Labels, device, log);
        try
        {
            var imageData = ImageTrainingData.Create(cnn, images, imageLabels, options.HorizontalFlip);
            return new TrainingRun(request, cnn, imageData, options.LearningRate ?? 1e-3, options.WeightDecay ?? 1e-4, options.WarmupFraction ?? 0);
        }
        catch
        {
            cnn.Dispose();
            throw;
        }
    }

    public TrainingResult Execute(TrainingCallbacks callbacks, CancellationToken cancellationToken)
    {
        var state = NewState();
        var resumed = false;
        var latest = Checkpoint.FindLatest(_request.Checkpoints);
        if (latest is not null)
        {
            state = Checkpoint.Load(latest, _model.Module, _optimizer, _model.Device);
            CheckResumable(state, latest);
            resumed = true;
            callbacks.Log?.Invoke($"resumed from {latest} at step {state.Step}");
        }

        _model.Module.Train();
        var speed = new ThroughputMeter();
        var epochClock = Stopwatch.StartNew();
        while (state.Epoch < _options.Epochs && !state.StoppedEarly)
        {
            foreach (var batch in _batches.Batches(state.Epoch, state.Batch))
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    // A stop between steps (cancel, worker shutdown) keeps the work done so far:
                    // the state here is exactly what a periodic checkpoint would hold.
                    SaveOnStop(state, callbacks, epochClock);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                var loss = Step(batch, state.Step);
                state.Step++;
                state.Batch++;
                state.EpochLossSum += loss * batch.Length;
                state.EpochSamples += batch.Length;
                speed.Add(batch.Length);
                callbacks.Progress?.Invoke(new TrainingProgress(
                    state.Step, _totalSteps, state.Epoch + 1, _options.Epochs, loss, _optimizer.LearningRate,
                    speed.SamplesPerSecond, speed.Remaining(_totalSteps - state.Step, _options.BatchSize)));

                if (state.Batch == _batches.BatchesPerEpoch)
                {
                    state.EpochSeconds += epochClock.Elapsed.TotalSeconds;
                    EndEpoch(state, callbacks);
                    epochClock.Restart();
                }

                if (_options.CheckpointEverySteps > 0 && state.Step % _options.CheckpointEverySteps == 0)
                {
                    state.EpochSeconds += epochClock.Elapsed.TotalSeconds;
                    epochClock.Restart();
                    var folder = Checkpoint.Save(_request.Checkpoints, _model.Module, _optimizer, state);
                    callbacks.CheckpointSaved?.Invoke(folder);
                }

                if (state.Batch == 0)
                {
                    break;
                }
            }
        }

        return Finish(state, resumed);
    }

    private void SaveOnStop(TrainerState state, TrainingCallbacks callbacks, Stopwatch epochClock)
    {
        var every = _options.CheckpointEverySteps;
        if (every <= 0 || state.Step == 0 || state.Step % every == 0)
        {
            return;
        }

        state.EpochSeconds += epochClock.Elapsed.TotalSeconds;
        epochClock.Restart();
        var folder = Checkpoint.Save(_request.Checkpoints, _model.Module, _optimizer, state);
        callbacks.CheckpointSaved?.Invoke(folder);
    }

    private double Step(int[] batch, long step)
    {
        using var scope = Torch.Torch.NewDisposeScope();
        var indices = batch.Select(p => _split.Train[p]).ToArray();
        var logits = _data.Logits(indices, augment: true, SeededRandom.Derive(_options.Seed, (ulong)step));
        var targets = Tensor.FromSpan(indices.Select(i => (long)_data.LabelIds[i]).ToArray(), [indices.Length], _model.Device);
        var loss = Functional.CrossEntropy(logits, targets);
        loss.Backward();
        if (_options.MaxGradientNorm > 0)
        {
            GradientClipping.ClipGradNorm(_model.Module.Parameters(), _options.MaxGradientNorm);
        }

        _schedule.Apply(_optimizer);
        _optimizer.Step();
        _optimizer.ZeroGrad();
        return loss.Item();
    }

    private void EndEpoch(TrainerState state, TrainingCallbacks callbacks)
    {
        double? validationLoss = null;
        ClassificationMetrics? metrics = null;
        if (_split.Validation.Length > 0)
        {
            (metrics, var loss) = Evaluation.Run(_model, _data, _split.Validation, _options.BatchSize);
            validationLoss = loss;
        }

        var record = new EpochRecord(state.Epoch + 1, state.EpochLossSum / Math.Max(1, state.EpochSamples),
            validationLoss, metrics?.Accuracy, metrics?.MacroF1, Math.Round(state.EpochSeconds, 3));
        state.History.Add(record);
        callbacks.EpochCompleted?.Invoke(record);

        if (validationLoss is { } current && _options.EarlyStoppingPatience > 0)
        {
            if (state.BestValidationLoss is null || current < state.BestValidationLoss)
            {
                state.BestValidationLoss = current;
                state.EpochsWithoutImprovement = 0;
            }
            else if (++state.EpochsWithoutImprovement >= _options.EarlyStoppingPatience)
            {
                state.StoppedEarly = true;
                callbacks.Log?.Invoke($"stopping early: validation loss has not improved for {state.EpochsWithoutImprovement} epochs");
            }
        }

        state.Epoch++;
        state.Batch = 0;
        state.EpochLossSum = 0;
        state.EpochSamples = 0;
        state.EpochSeconds = 0;
    }

    private TrainingResult Finish(TrainerState state, bool resumed)
    {
        var evaluated = _split.Validation.Length > 0 ? _split.Validation : _split.Train;
        var (metrics, _) = Evaluation.Run(_model, _data, evaluated, _options.BatchSize);
        var report = new MetricsReport(metrics, _split.Validation.Length > 0 ? "validation" : "train", state.History);
        _model.Save(_request.OutputDirectory);
        MetricsFile.Write(Path.Combine(_request.OutputDirectory, MetricsFile.FileName), report);
        if (_request.CheckpointDirectory is null && Directory.Exists(_request.Checkpoints))
        {
            // Default checkpoints live inside the model folder; once the model is written they would only bloat downloads.
            Directory.Delete(_request.Checkpoints, recursive: true);
        }

        return new TrainingResult(_request.OutputDirectory, report, state.Step, state.History.Count, state.StoppedEarly, resumed);
    }

    private TrainerState NewState() => new()
    {
        Labels = [.. _model.Labels],
        TrainCount = _split.Train.Length,
        TotalSteps = _totalSteps,
        Seed = _options.Seed,
    };

    private void CheckResumable(TrainerState state, string folder)
    {
        if (!state.Labels.SequenceEqual(_model.Labels) || state.TrainCount != _split.Train.Length
            || state.TotalSteps != _totalSteps || state.Seed != _options.Seed)
        {
            throw new InvalidDataException($"checkpoint {folder} was made with other data or settings (labels, size, epochs, batch size or seed differ)");
        }
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}

/// <summary>Samples per second over the recent steps, for progress and the remaining-time estimate.</summary>
internal sealed class ThroughputMeter
{
    private readonly Queue<(long Ticks, int Samples)> _window = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _samples;

    public double SamplesPerSecond { get; private set; }

    public void Add(int samples)
    {
        _window.Enqueue((_clock.ElapsedTicks, samples));
        _samples += samples;
        while (_window.Count > 20)
        {
            _samples -= _window.Dequeue().Samples;
        }

        var first = _window.Peek();
        var seconds = (double)(_clock.ElapsedTicks - first.Ticks) / Stopwatch.Frequency;
        // The first entry's samples were done before its timestamp, so they are left out of the rate.
        SamplesPerSecond = _window.Count > 1 && seconds > 0 ? (_samples - first.Samples) / seconds : 0;
    }

    public TimeSpan Remaining(long steps, int batchSize) =>
        SamplesPerSecond > 0 ? TimeSpan.FromSeconds(steps * batchSize / SamplesPerSecond) : TimeSpan.Zero;
}
