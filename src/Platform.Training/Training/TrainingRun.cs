using System.Diagnostics;
using Platform.Training.Data;
using Platform.Training.Distributed;
using Platform.Training.Metrics;
using Platform.Training.Torch;
using Platform.Training.Torch.Optim;

namespace Platform.Training.Training;

/// <summary>One training run: data, model, optimiser and schedule, and the loop over them.</summary>
internal sealed class TrainingRun : IDisposable
{
    private readonly TrainingRequest _request;
    private readonly TrainingOptions _options;
    private readonly TrainingPlan _plan;
    private readonly ClassifierModel _model;
    private readonly TrainingData _data;
    private readonly DataSplit _split;
    private readonly ShuffledBatches _batches;
    private readonly AdamW _optimizer;
    private readonly LinearWarmupSchedule _schedule;
    private readonly long _totalSteps;
    private readonly IExampleDescriber _examples;

    private string? _checkpointedBest;

    // Null in a single-process run. Rank 0 alone validates, reports, and writes checkpoints and the model.
    private DataParallel? _parallel;

    private bool IsLeader => _parallel is null || _parallel.Rank == 0;

    private TrainingRun(TrainingRequest request, ClassifierModel model, TrainingData data, BaseModelProfile profile, IExampleDescriber examples)
    {
        _request = request;
        _examples = examples;
        _options = request.Options;
        _model = model;
        _data = data;
        _split = request.Split?.CheckedAgainst(data.Count)
            ?? DataSplit.Stratified(data.LabelIds, _options.ValidationFraction, _options.Seed);
        if (_split.Train.Length == 0)
        {
            throw new InvalidDataException("no training examples are left after the validation split");
        }

        _plan = TrainingPlan.Resolve(_options, profile, _split.Train.Length);
        _batches = new ShuffledBatches(_split.Train.Length, _plan.BatchSize, _options.Seed);
        _totalSteps = _plan.TotalSteps;
        _optimizer = AdamW.ForModel(model.Module, _plan.LearningRate, _plan.WeightDecay);
        _schedule = new LinearWarmupSchedule(_plan.LearningRate, (long)Math.Round(_totalSteps * _plan.WarmupFraction), _totalSteps);
    }

    public TrainingPlan Plan => _plan;

    // The run's own random stream (decision 0035): weight initialisation and dropout draw from it, its
    // state goes into every checkpoint, so the run replays exactly beside any other in the process.
    private Generator _generator = null!;

    public static TrainingRun Prepare(TrainingRequest request, Device device, Action<string>? log)
    {
        // Seeded before the model exists: its initialisation draws from the generator.
        var generator = new Generator(request.Options.Seed);
        try
        {
            Torch.Torch.ManualSeed(request.Options.Seed, device);
            using (generator.Activate())
            {
                var run = PrepareModel(request, device, log);
                run._generator = generator;
                if (request.Distributed is { Rank: > 0 } distributed)
                {
                    // Same initialisation as rank 0 (overwritten by its broadcast anyway), then a stream of
                    // its own: identical dropout masks on every rank would waste the extra data.
                    run.Reseed(SeededRandom.Derive(request.Options.Seed, (ulong)distributed.Rank));
                }
                return run;
            }
        }
        catch
        {
            generator.Dispose();
            throw;
        }
    }

    private static TrainingRun PrepareModel(TrainingRequest request, Device device, Action<string>? log)
    {
        var options = request.Options;
        if (request.BaseModel == TabularClassifier.Preset)
        {
            return PrepareTabular(request, device);
        }

        if (File.Exists(request.DataPath) && request.DataPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            var examples = TextDataset.LoadCsv(request.DataPath, options.TextColumns);
            var labels = LabelVocabulary.FromData(examples.Select(e => e.Label!));
            if (ClassifierModel.DetectKind(request.BaseModel) != ModelKind.Bert)
            {
                throw new InvalidDataException($"text data needs a BERT base model; {request.BaseModel} is a CNN");
            }

            var model = BertClassifier.ForFineTuning(request.BaseModel, labels.Labels, device, log);
            try
            {
                var profile = BaseModelProfile.Of(request.BaseModel);
                var data = TextTrainingData.Create(model, examples, labels, options.MaxSequenceLength);
                return new TrainingRun(request, model, data, profile, new TextExamples(examples));
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

        var cnn = CnnImageClassifier.ForTraining(request.BaseModel, imageLabels.Labels, device, log,
            options.ImageBackground is null ? null : Models.Cnn.CnnConfig.ParseBackground(options.ImageBackground));
        try
        {
            var imageProfile = BaseModelProfile.Of(request.BaseModel);
            var imageData = ImageTrainingData.Create(cnn, images, imageLabels, options.HorizontalFlip);
            return new TrainingRun(request, cnn, imageData, imageProfile, new ImageExamples(cnn, images));
        }
        catch
        {
            cnn.Dispose();
            throw;
        }
    }

    private static TrainingRun PrepareTabular(TrainingRequest request, Device device)
    {
        var options = request.Options;
        var columns = options.TabularColumns ?? throw new InvalidDataException("a tabular model needs a target column");
        var table = Tabular.TabularTable.Load(request.DataPath);
        var target = table.ColumnIndex(columns.Target);
        var missing = table.Rows.Select((row, i) => (row, i)).FirstOrDefault(x => Tabular.TabularTable.IsMissing(x.row[target]));
        if (missing.row is not null)
            throw new InvalidDataException($"line {table.Lines[missing.i]}: the target column '{columns.Target}' is empty");
        var labels = LabelVocabulary.FromData(table.Rows.Select(r => r[target].Trim()));
        var labelIds = table.Rows.Select(r => labels.GetId(r[target].Trim())).ToArray();
        // The split the constructor makes from the same inputs: the preprocessor sees its training rows only.
        var split = request.Split?.CheckedAgainst(labelIds.Length) ?? DataSplit.Stratified(labelIds, options.ValidationFraction, options.Seed);
        var preprocessor = Tabular.TabularPreprocessor.Fit(table, columns, split.Train);
        var features = preprocessor.TransformTable(table);
        var model = TabularClassifier.ForTraining(preprocessor, labels.Labels, device);
        try
        {
            return new TrainingRun(request, model, new TabularTrainingData(model, features, labelIds), BaseModelProfile.Of(request.BaseModel),
                new TableExamples(table, target));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The run's generator continues from <paramref name="seed"/>'s state.</summary>
    private void Reseed(ulong seed)
    {
        using var fresh = new Generator(seed);
        _generator.SetState(fresh.GetState());
    }

    /// <summary>Runs the loop; with <paramref name="group"/>, as one rank of a data-parallel run (decision 0043).</summary>
    public TrainingResult Execute(TrainingCallbacks callbacks, CancellationToken cancellationToken, ProcessGroup? group = null)
    {
        using var random = _generator.Activate();
        _parallel = group is null ? null : new DataParallel(group, _model.Module);
        var state = NewState();
        var resumed = false;
        // Only rank 0 reads checkpoints; the others receive its state below.
        var latest = IsLeader ? Checkpoint.FindLatest(_request.Checkpoints) : null;
        if (latest is not null)
        {
            state = Checkpoint.Load(latest, _model.Module, _optimizer, _model.Device);
            CheckResumable(state, latest);
            _checkpointedBest = state.BestWeightsFile;
            resumed = true;
            callbacks.Log?.Invoke($"resumed from {latest} at step {state.Step}");
        }

        if (_parallel is not null)
        {
            _parallel.BroadcastStart(state, _optimizer);
            resumed = state.Step > 0;
            if (!IsLeader && resumed)
            {
                Reseed(SeededRandom.Derive(SeededRandom.Derive(_options.Seed, (ulong)_parallel.Rank), (ulong)state.Step));
            }

            callbacks.Log?.Invoke($"data-parallel: rank {_parallel.Rank} of {_parallel.WorldSize}, global batch {_plan.BatchSize} " +
                $"(about {(_plan.BatchSize + _parallel.WorldSize - 1) / _parallel.WorldSize} per rank)");
        }

        callbacks.Log?.Invoke($"plan ({_plan.Preset}): {_plan.Epochs} epochs of {_plan.StepsPerEpoch} steps (batch {_plan.BatchSize}), " +
            $"learning rate {_plan.LearningRate:0.##e+0}, " + (_plan.Patience > 0
                ? $"early stop after {_plan.Patience} epochs without a better validation macro-F1 once {_plan.MinStepsBeforeStopping} steps are done"
                : "no early stop"));

        _model.Module.Train();
        var speed = new ThroughputMeter();
        var epochClock = Stopwatch.StartNew();
        while (state.Epoch < _plan.Epochs && !state.StoppedEarly)
        {
            foreach (var batch in _batches.Batches(state.Epoch, state.Batch))
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    // A stop between steps (cancel, worker shutdown) keeps the work done so far:
                    // the state here is exactly what a periodic checkpoint would hold.
                    if (IsLeader) SaveOnStop(state, callbacks, epochClock);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                var loss = _parallel is null ? Step(batch, state.Step) : _parallel.TimeStep(() => Step(batch, state.Step));
                state.Step++;
                state.Batch++;
                state.EpochLossSum += loss * batch.Length;
                state.EpochSamples += batch.Length;
                speed.Add(batch.Length);
                if (IsLeader) callbacks.Progress?.Invoke(new TrainingProgress(
                    state.Step, _totalSteps, state.Epoch + 1, _plan.Epochs, loss, _optimizer.LearningRate,
                    speed.SamplesPerSecond, speed.Remaining(_totalSteps - state.Step, _plan.BatchSize)));

                if (state.Batch == _batches.BatchesPerEpoch)
                {
                    state.EpochSeconds += epochClock.Elapsed.TotalSeconds;
                    if (IsLeader)
                    {
                        EndEpoch(state, callbacks);
                    }
                    else
                    {
                        NextEpoch(state);
                    }

                    if (_parallel is not null)
                    {
                        state.StoppedEarly = _parallel.AgreeOnStop(state.StoppedEarly);
                    }
                    epochClock.Restart();
                }

                if (IsLeader && _options.CheckpointEverySteps > 0 && state.Step % _options.CheckpointEverySteps == 0)
                {
                    state.EpochSeconds += epochClock.Elapsed.TotalSeconds;
                    epochClock.Restart();
                    SaveCheckpoint(state, callbacks);
                }

                if (state.Batch == 0)
                {
                    break;
                }
            }
        }

        return Finish(state, resumed, callbacks.Log);
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
        SaveCheckpoint(state, callbacks);
    }

    private void SaveCheckpoint(TrainerState state, TrainingCallbacks callbacks)
    {
        var folder = Checkpoint.Save(_request.Checkpoints, _model.Module, _optimizer, state);
        _checkpointedBest = state.BestWeightsFile;
        BestWeights.DeleteOthers(_request.Checkpoints, state.BestWeightsFile);
        callbacks.CheckpointSaved?.Invoke(folder);
    }

    private double Step(int[] batch, long step)
    {
        using var scope = Torch.Torch.NewDisposeScope();
        var share = _parallel?.Share(batch) ?? batch;
        var meanLoss = 0.0;
        if (share.Length > 0)
        {
            var indices = share.Select(p => _split.Train[p]).ToArray();
            var logits = _data.Logits(indices, augment: true, SeededRandom.Derive(_options.Seed, (ulong)step));
            var targets = Tensor.FromSpan(indices.Select(i => (long)_data.LabelIds[i]).ToArray(), [indices.Length], _model.Device);
            var loss = Functional.CrossEntropy(logits, targets);
            // The global batch's mean loss is the sum of each share's mean weighted by the share's size,
            // and so is its gradient: summing the weighted gradients over the ranks gives it exactly.
            (share.Length == batch.Length ? loss : loss * ((double)share.Length / batch.Length)).Backward();
            meanLoss = loss.Item();
        }

        if (_parallel is not null)
        {
            meanLoss = _parallel.ReduceStep(meanLoss * share.Length) / batch.Length;
        }

        if (_options.MaxGradientNorm > 0)
        {
            GradientClipping.ClipGradNorm(_model.Module.Parameters(), _options.MaxGradientNorm);
        }

        _schedule.Apply(_optimizer);
        _optimizer.Step();
        _optimizer.ZeroGrad();
        return meanLoss;
    }

    private void EndEpoch(TrainerState state, TrainingCallbacks callbacks)
    {
        double? validationLoss = null;
        ClassificationMetrics? metrics = null;
        if (_split.Validation.Length > 0)
        {
            (metrics, var loss, _) = Evaluation.Run(_model, _data, _split.Validation, _plan.BatchSize);
            validationLoss = loss;
        }

        var record = new EpochRecord(state.Epoch + 1, state.EpochLossSum / Math.Max(1, state.EpochSamples),
            validationLoss, metrics?.Accuracy, metrics?.MacroF1, Math.Round(state.EpochSeconds, 3));
        state.History.Add(record);
        callbacks.EpochCompleted?.Invoke(record);

        if (metrics is not null && validationLoss is { } currentLoss)
        {
            if (IsBetter(metrics.MacroF1, currentLoss, state))
            {
                // The model that ships is the best one seen, not the last: small data often peaks
                // early and then over-fits. Its weights go to disk so a resumed run still has them.
                state.BestMacroF1 = metrics.MacroF1;
                state.BestValidationLoss = currentLoss;
                state.BestEpoch = state.Epoch + 1;
                state.BestWeightsFile = BestWeights.Save(_request.Checkpoints, _model.Module, state.Epoch + 1);
                state.EpochsWithoutImprovement = 0;
                BestWeights.DeleteOthers(_request.Checkpoints, state.BestWeightsFile, _checkpointedBest);
            }
            else if (_plan.Patience > 0 && ++state.EpochsWithoutImprovement >= _plan.Patience
                     && state.Step >= _plan.MinStepsBeforeStopping && state.Epoch + 1 < _plan.Epochs)
            {
                state.StoppedEarly = true;
                callbacks.Log?.Invoke($"stopping early: validation macro-F1 has not improved for {state.EpochsWithoutImprovement} epochs (best {state.BestMacroF1:F4} at epoch {state.BestEpoch})");
            }
        }

        NextEpoch(state);
    }

    private static void NextEpoch(TrainerState state)
    {
        state.Epoch++;
        state.Batch = 0;
        state.EpochLossSum = 0;
        state.EpochSamples = 0;
        state.EpochSeconds = 0;
    }

    /// <summary>A higher macro-F1 wins; an equal one (small splits tie often) wins with a lower validation loss.</summary>
    private static bool IsBetter(double macroF1, double loss, TrainerState state) =>
        state.BestMacroF1 is not { } best || macroF1 > best + 1e-9
        || (Math.Abs(macroF1 - best) <= 1e-9 && loss < (state.BestValidationLoss ?? double.MaxValue));

    private TrainingResult Finish(TrainerState state, bool resumed, Action<string>? log)
    {
        int? selectedEpoch = null;
        if (IsLeader && state.BestWeightsFile is { } best && state.BestEpoch is { } bestEpoch)
        {
            BestWeights.Load(_request.Checkpoints, best, _model.Module, _model.Device);
            selectedEpoch = bestEpoch;
            if (bestEpoch != state.History.Count)
            {
                log?.Invoke($"keeping the weights of epoch {bestEpoch} (best validation macro-F1 {state.BestMacroF1:F4}), not those of the last epoch {state.History.Count}");
            }
        }

        if (_parallel is not null)
        {
            // Every rank ends with the model that ships (rank 0's choice of epoch) and its metrics.
            _parallel.BroadcastModel();
            log?.Invoke(_parallel.CommunicationSummary());
        }

        var evaluated = _split.Validation.Length > 0 ? _split.Validation : _split.Train;
        var (metrics, _, logits) = Evaluation.Run(_model, _data, evaluated, _plan.BatchSize);
        var report = new MetricsReport(metrics, _split.Validation.Length > 0 ? "validation" : "train", state.History)
        {
            SelectedEpoch = selectedEpoch,
            Plan = _plan,
        };
        if (!IsLeader)
        {
            // The other ranks write nothing: the output folder is rank 0's.
            return new TrainingResult(_request.OutputDirectory, report, state.Step, state.Epoch, state.StoppedEarly, resumed);
        }

        _model.Save(_request.OutputDirectory);
        MetricsFile.Write(Path.Combine(_request.OutputDirectory, MetricsFile.FileName), report);
        // Per example: the model page's misclassified examples and its confidence threshold read them.
        ValidationPredictions.Create(report.Split, _model.Labels, evaluated, evaluated.Select(i => _data.LabelIds[i]).ToArray(), logits, _examples)
            .Write(Path.Combine(_request.OutputDirectory, ValidationPredictions.FileName));
        if (Onnx.OnnxExport.Supports(_model))
        {
            // ONNX, int8 and their validation scores and latency: the serving options the model page compares.
            _model.Module.Eval();
            var serving = Onnx.ServingReport.Write(_model, _data, evaluated, report.Split, metrics, _request.OutputDirectory);
            log?.Invoke("serving: " + string.Join("; ", serving.Variants.Select(v =>
                $"{v.Variant} {v.Bytes / 1024.0:0.#} KiB, accuracy {v.Accuracy:P1}, {v.LatencyMs:0.###} ms")));
        }
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
        LearningRate = _plan.LearningRate,
        MaxSequenceLength = _options.MaxSequenceLength,
        BatchSize = _plan.BatchSize,
    };

    /// <summary>
    /// A checkpoint continues only the run that wrote it: other data, labels or settings would make
    /// the resumed model a mixture of two runs that nobody asked for.
    /// </summary>
    private void CheckResumable(TrainerState state, string folder)
    {
        var differences = new List<string>();
        if (!state.Labels.SequenceEqual(_model.Labels)) differences.Add("the labels");
        if (state.TrainCount != _split.Train.Length) differences.Add($"the training examples ({state.TrainCount} then, {_split.Train.Length} now)");
        if (state.BatchSize is { } batch && batch != _plan.BatchSize) differences.Add($"the batch size ({batch} then, {_plan.BatchSize} now)");
        if (state.TotalSteps != _totalSteps) differences.Add($"the total steps ({state.TotalSteps} then, {_totalSteps} now: epochs or batch size changed)");
        if (state.Seed != _options.Seed) differences.Add($"the seed ({state.Seed} then, {_options.Seed} now)");
        if (state.LearningRate is { } rate && Math.Abs(rate - _plan.LearningRate) > 1e-12 * Math.Max(1, Math.Abs(rate)))
            differences.Add($"the learning rate ({rate:G6} then, {_plan.LearningRate:G6} now)");
        if (state.MaxSequenceLength is { } length && length != _options.MaxSequenceLength)
            differences.Add($"the maximum sequence length ({length} then, {_options.MaxSequenceLength} now)");
        if (differences.Count > 0)
        {
            throw new InvalidDataException($"checkpoint {folder} was made by another run: {string.Join("; ", differences)}. " +
                "Resume with the same settings, or start a new run in an empty checkpoint folder.");
        }
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
        _generator?.Dispose();
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
