using System.CommandLine;
using Platform.Training.Models.Bert;
using Platform.Training.Pretraining;

namespace Platform.Cli;

internal static class PretrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "corpus: a .txt with one document per line, or a .csv (its text column)", Required = true };
        var textColumn = new Option<string>("--text-column") { Description = "the CSV column holding the text", DefaultValueFactory = _ => "text" };
        var baseModel = new Option<string?>("--base") { Description = "continue from this BERT folder (its config, vocabulary and weights)" };
        var config = new Option<string?>("--config") { Description = "start from scratch with this BertConfig config.json" };
        var vocab = new Option<string?>("--vocab") { Description = "with --config: vocab.txt to use (default: train one from the corpus)" };
        var vocabSize = new Option<int>("--vocab-size") { Description = "size of the vocabulary trained when --vocab is not given", DefaultValueFactory = _ => 8000 };
        var cased = new Option<bool>("--cased") { Description = "from scratch: keep case and accents" };
        var output = new Option<string>("--out") { Description = "folder for the pre-trained base model", Required = true };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 3 };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var learningRate = new Option<double?>("--lr") { Description = "default 5e-4 from scratch, 1e-4 from a base model" };
        var warmup = new Option<double>("--warmup") { Description = "share of the steps warming up", DefaultValueFactory = _ => 0.1 };
        var weightDecay = new Option<double>("--weight-decay") { DefaultValueFactory = _ => 0.01 };
        var maxLength = new Option<int>("--max-len") { Description = "tokens per sequence", DefaultValueFactory = _ => 128 };
        var noPack = new Option<bool>("--no-pack") { Description = "one document per sequence instead of packing documents up to --max-len" };
        var maskProbability = new Option<double>("--mask-prob") { Description = "share of tokens to predict", DefaultValueFactory = _ => 0.15 };
        var noWholeWord = new Option<bool>("--no-whole-word") { Description = "select single word pieces instead of whole words" };
        var validation = new Option<double>("--validation-split") { Description = "share of documents held out for perplexity", DefaultValueFactory = _ => 0.05 };
        var evaluateEvery = new Option<int>("--eval-every") { Description = "steps between held-out measurements (0: after each epoch)" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "steps between checkpoints (0: none)" };
        var checkpointDir = new Option<string?>("--checkpoint-dir") { Description = "resume from / write checkpoints here (default <out>/checkpoints)" };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 42 };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads (default: all cores)" };
        var command = new Command("pretrain", "Pre-train a BERT with masked-language-model training on unlabelled text.")
        {
            data, textColumn, baseModel, config, vocab, vocabSize, cased, output, epochs, batchSize, learningRate, warmup, weightDecay,
            maxLength, noPack, maskProbability, noWholeWord, validation, evaluateEvery, checkpointEvery, checkpointDir, seed, device, threads,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliRunner.Run(() =>
        {
            var basePath = parse.GetValue(baseModel);
            var configPath = parse.GetValue(config);
            var vocabPath = parse.GetValue(vocab);
            if ((basePath is null) == (configPath is null))
            {
                throw new ArgumentException("give --base FOLDER to continue from a model, or --config config.json to start from scratch");
            }

            if (basePath is not null && vocabPath is not null)
            {
                throw new ArgumentException("--vocab goes with --config; a --base model brings its own vocabulary");
            }

            if (basePath is not null && !Directory.Exists(basePath))
            {
                throw new DirectoryNotFoundException($"model folder not found: {basePath}");
            }

            if (configPath is not null) InitBertCommand.RequireFile(configPath);
            if (vocabPath is not null) InitBertCommand.RequireFile(vocabPath);
            var options = new PretrainingOptions
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(learningRate),
                WarmupFraction = parse.GetValue(warmup),
                WeightDecay = parse.GetValue(weightDecay),
                MaxSequenceLength = parse.GetValue(maxLength),
                PackDocuments = !parse.GetValue(noPack),
                MaskProbability = parse.GetValue(maskProbability),
                WholeWordMasking = !parse.GetValue(noWholeWord),
                ValidationFraction = parse.GetValue(validation),
                EvaluateEverySteps = parse.GetValue(evaluateEvery),
                CheckpointEverySteps = parse.GetValue(checkpointEvery),
                Seed = parse.GetValue(seed),
                Device = parse.GetValue(device)!,
                Threads = parse.GetValue(threads),
                VocabularySize = parse.GetValue(vocabSize),
                LowerCase = !parse.GetValue(cased),
            };
            var request = new PretrainingRequest(parse.GetValue(data)!, parse.GetValue(output)!, options,
                BaseModel: basePath,
                Config: configPath is null ? null : BertConfig.Load(configPath),
                VocabularyPath: vocabPath,
                CheckpointDirectory: parse.GetValue(checkpointDir),
                TextColumn: parse.GetValue(textColumn)!);
            var result = Pretrainer.Train(request, new PretrainingCallbacks
            {
                Progress = Report,
                Evaluated = e => Console.Error.WriteLine($"step {e.Step}: held-out perplexity {e.Perplexity:F2}, masked accuracy {e.MaskedAccuracy:P1} ({e.Tokens} tokens)"),
                EpochCompleted = e => Console.Error.WriteLine($"epoch {e.Epoch}: train loss {e.TrainLoss:F4} (perplexity {e.TrainPerplexity:F2}), {e.Seconds:F1} s"),
                Log = ProgressBar.Log,
            }, cancellationToken);
            Console.WriteLine($"pre-trained {result.Steps} steps, {result.EpochsCompleted} epochs on {result.Corpus.TrainSequences} sequences ({result.Corpus.TrainTokens} tokens)");
            if (result.FinalEvaluation is { } final)
            {
                Console.WriteLine($"held-out perplexity {final.Perplexity:F2}, masked accuracy {final.MaskedAccuracy:P1}");
            }

            Console.WriteLine($"base model written to {result.ModelDirectory}");
            return 0;
        })));
        return command;
    }

    // One line per twentieth of the run: logs and job output stay readable, a terminal sees it move.
    private static void Report(PretrainingProgress progress)
    {
        var every = Math.Max(1, progress.TotalSteps / 20);
        if (progress.Step % every != 0 && progress.Step != progress.TotalSteps)
        {
            return;
        }

        var heldOut = progress.ValidationPerplexity is { } ppl ? $" held-out ppl {ppl:F2}" : "";
        Console.Error.WriteLine(
            $"step {progress.Step}/{progress.TotalSteps} epoch {progress.Epoch}/{progress.Epochs} loss {progress.Loss:F4} (ppl {progress.Perplexity:F1}){heldOut} " +
            $"lr {progress.LearningRate:0.0e+00} {progress.SequencesPerSecond:F1} seq/s ETA {progress.EstimatedRemaining:hh\\:mm\\:ss}");
    }
}
