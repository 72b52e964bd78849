using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Platform.Training.Data;
using Platform.Training.Metrics;
using Platform.Training.Models;
using Platform.Training.Models.Bert;
using Platform.Training.Tokenization;
using Platform.Training.Torch;
using Platform.Training.Torch.Optim;
using Platform.Training.Training;

namespace Platform.Training.Pretraining;

/// <summary>One masked-LM run: corpus, tokenizer, model, optimiser and schedule, and the loop over them.</summary>
internal sealed class PretrainingRun : IDisposable
{
    public const string MetricsFileName = "pretraining.json";

    // Independent random streams for the document split and the masks (see SeededRandom.Derive).
    private const ulong SplitStream = 0x5EED_0001;
    private const ulong MaskStream = 0x5EED_0002;
    private const ulong ValidationMaskStream = 0x5EED_0003;

    private readonly PretrainingRequest _request;
    private readonly PretrainingOptions _options;
    private readonly BertForMaskedLM _model;
    private readonly BertTokenizer _tokenizer;
    private readonly string? _tokenizerSource;
    private readonly bool _vocabularyTrained;
    private readonly TokenMasker _masker;
    private readonly Sequences _train;
    private readonly Sequences _validation;
    private readonly PretrainingCorpusStats _stats;
    private readonly ShuffledBatches _batches;
    private readonly AdamW _optimizer;
    private readonly LinearWarmupSchedule _schedule;
    private readonly long _totalSteps;
    private readonly double _learningRate;
    private readonly Device _device;
    private PretrainingEvaluation? _latest;

    private PretrainingRun(PretrainingRequest request, Start start, IReadOnlyList<string> trainDocuments, IReadOnlyList<string> validationDocuments, int documents, Device device)
    {
        _request = request;
        _options = request.Options;
        _model = start.Model;
        _tokenizer = start.Tokenizer;
        _tokenizerSource = start.TokenizerSource;
        _vocabularyTrained = start.VocabularyTrained;
        _device = device;
        _masker = new TokenMasker(_tokenizer.Vocabulary, _tokenizer.Options, _options.MaskProbability, _options.WholeWordMasking);
        var maxLength = _options.MaxSequenceLength;
        if (maxLength > _model.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException($"max sequence length {maxLength} exceeds the model's max_position_embeddings {_model.Config.MaxPositionEmbeddings}");
        }

        var trainIds = trainDocuments.Select(_tokenizer.TokenizeToIds).ToList();
        _train = Pack(trainIds);
        _validation = Pack(validationDocuments.Select(_tokenizer.TokenizeToIds));
        if (_train.Count == 0)
        {
            throw new InvalidDataException("the corpus has no tokens to train on after the held-out split");
        }

        var tokens = trainIds.Sum(d => (long)d.Length);
        var unknown = trainIds.Sum(d => (long)d.Count(id => id == _tokenizer.UnknownId));
        _stats = new PretrainingCorpusStats(documents, trainDocuments.Count, validationDocuments.Count, tokens, _train.Count, _validation.Count,
            tokens == 0 ? 0 : (double)unknown / tokens);

        _batches = new ShuffledBatches(_train.Count, _options.BatchSize, _options.Seed);
        _totalSteps = (long)_options.Epochs * _batches.BatchesPerEpoch;
        _learningRate = _options.LearningRate ?? (request.BaseModel is null ? 5e-4 : 1e-4);
        _optimizer = AdamW.ForModel(_model, _learningRate, _options.WeightDecay);
        _schedule = new LinearWarmupSchedule(_learningRate, (long)Math.Round(_totalSteps * _options.WarmupFraction), _totalSteps);
    }

    public static PretrainingRun Prepare(PretrainingRequest request, Device device, Action<string>? log)
    {
        var options = request.Options;
        var documents = TextCorpus.Load(request.CorpusPath, request.TextColumn);
        var (train, validation) = SplitDocuments(documents, request.Split, options);
        var start = request.BaseModel is { } folder ? FromBase(folder, options, device, log) : FromScratch(request, train, device, log);
        try
        {
            var run = new PretrainingRun(request, start, train, validation, documents.Count, device);
            log?.Invoke($"corpus: {run._stats.Documents} documents ({run._stats.ValidationDocuments} held out), {run._stats.TrainTokens} training tokens in {run._stats.TrainSequences} sequences of up to {options.MaxSequenceLength}; vocabulary {run._tokenizer.Vocabulary.Count}");
            return run;
        }
        catch
        {
            start.Model.Dispose();
            throw;
        }
    }

    public PretrainingResult Execute(PretrainingCallbacks callbacks, CancellationToken cancellationToken)
    {
        var state = NewState();
        var resumed = false;
        var latest = Checkpoint.FindLatest(_request.Checkpoints);
        if (latest is not null)
        {
            state = Checkpoint.Load(latest, _model, _optimizer, _device);
            CheckResumable(state, latest);
            resumed = true;
            callbacks.Log?.Invoke($"resumed from {latest} at step {state.Step}");
        }

        _model.Train();
        var speed = new ThroughputMeter();
        var epochClock = Stopwatch.StartNew();
        while (state.Epoch < _options.Epochs)
        {
            foreach (var batch in _batches.Batches(state.Epoch, state.Batch))
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    // A stop between steps keeps the work done so far: the state here is exactly what a periodic checkpoint would hold.
                    SaveOnStop(state, callbacks, epochClock);
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var (loss, selected) = Step(batch, state.Epoch);
                state.Step++;
                state.Batch++;
                state.EpochLossSum += loss * selected;
                state.EpochSamples += selected;
                speed.Add(batch.Length);
                if (_options.EvaluateEverySteps > 0 && state.Step % _options.EvaluateEverySteps == 0 && state.Batch != _batches.BatchesPerEpoch)
                {
                    Evaluate(state.Step, callbacks);
                }

                callbacks.Progress?.Invoke(new PretrainingProgress(
                    state.Step, _totalSteps, state.Epoch + 1, _options.Epochs, loss, _optimizer.LearningRate,
                    speed.SamplesPerSecond, speed.Remaining(_totalSteps - state.Step, _options.BatchSize), _latest?.Perplexity));

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
                    // Not inside ?.Invoke(...): a null callback would skip evaluating the save.
                    var folder = Checkpoint.Save(_request.Checkpoints, _model, _optimizer, state);
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

    private (double Loss, int Selected) Step(int[] batch, int epoch)
    {
        using var scope = Torch.Torch.NewDisposeScope();
        var epochStream = SeededRandom.Derive(_options.Seed ^ MaskStream, (ulong)epoch);
        var tensors = Batch(_train, batch, epochStream);
        if (tensors.Selected == 0)
        {
            // Nothing to predict (sequences of [UNK] only): a mean over no tokens is NaN and would poison the weights.
            return (0, 0);
        }

        var logits = _model.MaskedLogits(tensors.Ids, tensors.Mask, tensors.Types, tensors.Positions);
        var loss = Functional.CrossEntropy(logits, tensors.Targets);
        loss.Backward();
        if (_options.MaxGradientNorm > 0)
        {
            GradientClipping.ClipGradNorm(_model.Parameters(), _options.MaxGradientNorm);
        }

        _schedule.Apply(_optimizer);
        _optimizer.Step();
        _optimizer.ZeroGrad();
        return (loss.Item(), tensors.Selected);
    }

    /// <summary>Held-out loss over fixed masks (the same every time), so measurements compare across epochs and runs.</summary>
    private PretrainingEvaluation? Evaluate(long step, PretrainingCallbacks callbacks)
    {
        if (_validation.Count == 0)
        {
            return null;
        }

        _model.Eval();
        double lossSum = 0;
        long correct = 0;
        long selected = 0;
        using (Torch.Torch.NoGrad())
        {
            var stream = SeededRandom.Derive(_options.Seed ^ ValidationMaskStream, 0);
            for (var start = 0; start < _validation.Count; start += _options.BatchSize)
            {
                using var scope = Torch.Torch.NewDisposeScope();
                var indices = Enumerable.Range(start, Math.Min(_options.BatchSize, _validation.Count - start)).ToArray();
                var tensors = Batch(_validation, indices, stream);
                if (tensors.Selected == 0)
                {
                    continue;
                }

                var logits = _model.MaskedLogits(tensors.Ids, tensors.Mask, tensors.Types, tensors.Positions);
                lossSum += Functional.CrossEntropy(logits, tensors.Targets).Item() * tensors.Selected;
                correct += logits.ArgMax(1).Eq(tensors.Targets).Sum().ItemInt64();
                selected += tensors.Selected;
            }
        }

        _model.Train();
        if (selected == 0)
        {
            // The held-out documents have nothing to predict (only [UNK]): there is no perplexity to report.
            return null;
        }

        _latest = new PretrainingEvaluation(step, lossSum / selected, (double)correct / selected, selected);
        callbacks.Evaluated?.Invoke(_latest);
        return _latest;
    }

    private void EndEpoch(TrainerState state, PretrainingCallbacks callbacks)
    {
        var evaluation = Evaluate(state.Step, callbacks);
        var record = new EpochRecord(state.Epoch + 1, state.EpochLossSum / Math.Max(1, state.EpochSamples),
            evaluation?.Loss, evaluation?.MaskedAccuracy, null, Math.Round(state.EpochSeconds, 3));
        state.History.Add(record);
        callbacks.EpochCompleted?.Invoke(ToPretrainingRecord(record));
        state.Epoch++;
        state.Batch = 0;
        state.EpochLossSum = 0;
        state.EpochSamples = 0;
        state.EpochSeconds = 0;
    }

    private void SaveOnStop(TrainerState state, PretrainingCallbacks callbacks, Stopwatch epochClock)
    {
        var every = _options.CheckpointEverySteps;
        if (every <= 0 || state.Step == 0 || state.Step % every == 0)
        {
            return;
        }

        state.EpochSeconds += epochClock.Elapsed.TotalSeconds;
        epochClock.Restart();
        var folder = Checkpoint.Save(_request.Checkpoints, _model, _optimizer, state);
        callbacks.CheckpointSaved?.Invoke(folder);
    }

    private PretrainingResult Finish(TrainerState state, bool resumed)
    {
        var final = _latest is { } latest && latest.Step == state.Step ? latest : Evaluate(state.Step, new PretrainingCallbacks());
        var output = _request.OutputDirectory;
        _model.Save(output);
        WriteTokenizerFiles(output);
        var history = state.History.Select(ToPretrainingRecord).ToList();
        File.WriteAllText(Path.Combine(output, MetricsFileName), JsonSerializer.Serialize(new
        {
            corpus = _stats,
            vocabulary_size = _tokenizer.Vocabulary.Count,
            vocabulary_trained = _vocabularyTrained,
            started_from = _request.BaseModel is null ? "scratch" : "base model",
            steps = state.Step,
            learning_rate = _learningRate,
            batch_size = _options.BatchSize,
            max_sequence_length = _options.MaxSequenceLength,
            pack_documents = _options.PackDocuments,
            mask_probability = _options.MaskProbability,
            whole_word_masking = _options.WholeWordMasking,
            history,
            final_evaluation = final,
        }, new JsonSerializerOptions { WriteIndented = true }));
        if (_request.CheckpointDirectory is null && Directory.Exists(_request.Checkpoints))
        {
            // Default checkpoints live inside the model folder; once the model is written they would only bloat downloads.
            Directory.Delete(_request.Checkpoints, recursive: true);
        }

        return new PretrainingResult(output, state.Step, state.History.Count, history, final, _stats, _vocabularyTrained, resumed);
    }

    private void WriteTokenizerFiles(string output)
    {
        var vocabulary = Path.Combine(output, ModelFolder.VocabFile);
        _tokenizer.Vocabulary.Save(vocabulary);
        BertClassifier.WriteTokenizerConfig(output, _tokenizer.Options, _model.Config);
        if (_tokenizerSource is not null)
        {
            // A base model's own special-token map goes along; its tokenizer_config.json is rewritten above with the same casing.
            var map = Path.Combine(_tokenizerSource, "special_tokens_map.json");
            if (File.Exists(map) && Path.GetFullPath(map) != Path.GetFullPath(Path.Combine(output, "special_tokens_map.json")))
            {
                File.Copy(map, Path.Combine(output, "special_tokens_map.json"), overwrite: true);
            }
        }
    }

    private BatchTensors Batch(Sequences sequences, int[] indices, ulong stream)
    {
        var length = indices.Max(i => sequences.Ids[i].Length);
        var ids = new long[indices.Length * length];
        var mask = new long[ids.Length];
        var positions = new List<long>();
        var targets = new List<long>();
        Array.Fill(ids, _tokenizer.PaddingId);
        for (var row = 0; row < indices.Length; row++)
        {
            var index = indices[row];
            var masked = _masker.Mask(sequences.Ids[index], sequences.Kinds[index], new SeededRandom(SeededRandom.Derive(stream, (ulong)index)));
            var offset = row * length;
            for (var i = 0; i < masked.InputIds.Length; i++)
            {
                ids[offset + i] = masked.InputIds[i];
                mask[offset + i] = 1;
            }

            for (var k = 0; k < masked.Positions.Length; k++)
            {
                positions.Add(offset + masked.Positions[k]);
                targets.Add(masked.Labels[k]);
            }
        }

        long[] shape = [indices.Length, length];
        return new BatchTensors(
            Tensor.FromSpan(ids, shape, _device),
            Tensor.FromSpan(mask, shape, _device),
            Tensor.Zeros(shape, ScalarType.Int64, _device),
            Tensor.FromSpan(positions.ToArray(), [positions.Count], _device),
            Tensor.FromSpan(targets.ToArray(), [targets.Count], _device),
            positions.Count);
    }

    private Sequences Pack(IEnumerable<int[]> documents)
    {
        var vocabulary = _tokenizer.Vocabulary;
        var continuation = vocabulary.Tokens.Select(t => t.StartsWith("##", StringComparison.Ordinal)).ToArray();
        var ids = SequencePacker.Pack(documents, _options.MaxSequenceLength, _options.PackDocuments,
            _tokenizer.ClassifierId, _tokenizer.SeparatorId, id => continuation[id]);
        return new Sequences(ids, ids.Select(s => _masker.Kinds(s)).ToList());
    }

    private static (IReadOnlyList<string> Train, IReadOnlyList<string> Validation) SplitDocuments(IReadOnlyList<string> documents, DataSplit? split, PretrainingOptions options)
    {
        // Training documents go in a shuffled order: packed neighbours are unrelated texts, not a run of one source's.
        var random = new SeededRandom(SeededRandom.Derive(options.Seed, SplitStream));
        int[] train, validation;
        if (split is not null)
        {
            (train, validation) = split.CheckedAgainst(documents.Count);
            random.Shuffle(train.AsSpan());
        }
        else
        {
            var order = Enumerable.Range(0, documents.Count).ToArray();
            random.Shuffle(order.AsSpan());
            var held = options.ValidationFraction > 0 && documents.Count > 1
                ? Math.Clamp((int)Math.Round(documents.Count * options.ValidationFraction), 1, documents.Count - 1)
                : 0;
            (train, validation) = (order[held..], order[..held]);
        }

        return (train.Select(i => documents[i]).ToList(), validation.Select(i => documents[i]).ToList());
    }

    private static Start FromBase(string folder, PretrainingOptions options, Device device, Action<string>? log)
    {
        var configPath = Path.Combine(folder, ModelFolder.ConfigFile);
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"{folder} has no {ModelFolder.ConfigFile}", configPath);
        }

        var config = ForMaskedLm(BertConfig.Load(configPath));
        var tokenizer = BertTokenizer.FromFolder(folder);
        if (tokenizer.Vocabulary.Count > config.VocabSize)
        {
            throw new InvalidDataException($"{folder}: vocab.txt has {tokenizer.Vocabulary.Count} tokens, more than the config's vocab_size {config.VocabSize}");
        }

        // Seeded before the model exists: a head the base lacks starts from the initialisation.
        Torch.Torch.ManualSeed(options.Seed);
        var model = new BertForMaskedLM(config);
        try
        {
            model.To(device);
            MaskedLmWeights.LoadInto(model, folder, device, log);
            return new Start(model, tokenizer, folder, VocabularyTrained: false);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static Start FromScratch(PretrainingRequest request, IReadOnlyList<string> trainDocuments, Device device, Action<string>? log)
    {
        var options = request.Options;
        var tokenizerOptions = new BertTokenizerOptions { LowerCase = options.LowerCase };
        WordPieceVocabulary vocabulary;
        var trained = request.VocabularyPath is null;
        if (request.VocabularyPath is { } path)
        {
            vocabulary = WordPieceVocabulary.Load(path);
        }
        else
        {
            var trainer = new WordPieceTrainer(new WordPieceTrainerOptions { VocabularySize = options.VocabularySize, Tokenizer = tokenizerOptions });
            foreach (var document in trainDocuments)
            {
                trainer.Add(document);
            }

            vocabulary = trainer.Build();
            var summary = trainer.Summary!;
            log?.Invoke($"vocabulary trained from the corpus: {summary.VocabularySize} tokens ({summary.Alphabet} characters, {summary.Merges} merges) from {summary.DistinctWords} distinct words");
        }

        var tokenizer = new BertTokenizer(vocabulary, tokenizerOptions);
        var config = ForMaskedLm(BertConfig.Parse(request.Config!.ToJson()));
        if (config.VocabSize != vocabulary.Count)
        {
            if (!trained) log?.Invoke($"vocab_size set to the vocabulary's {vocabulary.Count} tokens (the config said {config.VocabSize})");
            config.VocabSize = vocabulary.Count;
        }

        if (config.PadTokenId != tokenizer.PaddingId)
        {
            config.PadTokenId = tokenizer.PaddingId;
        }

        // Seeded before the model exists: its initialisation draws from the generator.
        Torch.Torch.ManualSeed(options.Seed);
        var model = new BertForMaskedLM(config);
        try
        {
            model.To(device);
            return new Start(model, tokenizer, TokenizerSource: null, trained);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static BertConfig ForMaskedLm(BertConfig config)
    {
        config.Architectures = ["BertForMaskedLM"];
        config.ProblemType = null;
        return config;
    }

    private TrainerState NewState() => new()
    {
        // A classifier's checkpoint names its labels here; a masked-LM run names what makes it this run,
        // so a checkpoint of other data or settings is refused the same way.
        Labels = Identity(),
        TrainCount = _train.Count,
        TotalSteps = _totalSteps,
        Seed = _options.Seed,
    };

    private List<string> Identity()
    {
        var vocabularyHash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', _tokenizer.Vocabulary.Tokens))))[..16];
        return
        [
            "masked-lm",
            $"vocabulary {vocabularyHash}",
            $"validation sequences {_validation.Count}",
            string.Create(CultureInfo.InvariantCulture, $"max length {_options.MaxSequenceLength}, packed {_options.PackDocuments}"),
            string.Create(CultureInfo.InvariantCulture, $"masking {_options.MaskProbability}, whole words {_options.WholeWordMasking}"),
            string.Create(CultureInfo.InvariantCulture, $"learning rate {_learningRate}, warm-up {_options.WarmupFraction}, weight decay {_options.WeightDecay}"),
        ];
    }

    private void CheckResumable(TrainerState state, string folder)
    {
        if (!state.Labels.SequenceEqual(Identity()) || state.TrainCount != _train.Count || state.TotalSteps != _totalSteps || state.Seed != _options.Seed)
        {
            throw new InvalidDataException($"checkpoint {folder} was made with other data or settings (corpus, vocabulary, epochs, batch size, sequence length, masking, learning rate or seed differ)");
        }
    }

    private static PretrainingEpochRecord ToPretrainingRecord(EpochRecord record) =>
        new(record.Epoch, record.TrainLoss, record.ValidationLoss, record.ValidationAccuracy, record.Seconds);

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }

    private sealed record Start(BertForMaskedLM Model, BertTokenizer Tokenizer, string? TokenizerSource, bool VocabularyTrained);

    private sealed record Sequences(List<int[]> Ids, List<PieceKind[]> Kinds)
    {
        public int Count => Ids.Count;
    }

    private sealed record BatchTensors(Tensor Ids, Tensor Mask, Tensor Types, Tensor Positions, Tensor Targets, int Selected);
}
