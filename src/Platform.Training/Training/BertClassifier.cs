using Platform.Training.Models.Text;
using Platform.Training.Tokenization;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Training;

/// <summary>
/// A text-transformer sequence classifier (BERT family or DistilBERT, by config.json's model_type)
/// with its WordPiece tokenizer, in Hugging Face's folder layout.
/// </summary>
public sealed class BertClassifier : ClassifierModel
{
    private const string TokenizerConfigFile = "tokenizer_config.json";
    private static readonly string[] TokenizerFiles = ["vocab.txt", TokenizerConfigFile, "special_tokens_map.json"];

    private readonly string _tokenizerSource;

    private BertClassifier(TextSequenceClassifier model, BertTokenizer tokenizer, string tokenizerSource, Device device)
        : base(device)
    {
        Model = model;
        Tokenizer = tokenizer;
        _tokenizerSource = tokenizerSource;
    }

    public override ModelKind Kind => ModelKind.Bert;
    public override IReadOnlyList<string> Labels => Model.TextConfig.Labels;
    public TextSequenceClassifier Model { get; }
    public BertTokenizer Tokenizer { get; }
    internal override Module Module => Model;

    /// <summary>A trained folder: every tensor, the classifier included, must be present.</summary>
    public static new BertClassifier Load(string directory, Device device)
    {
        var config = LoadConfig(directory);
        return Create(directory, config, device, keepClassifier: true, mayBeMissing: _ => false, log: null);
    }

    /// <summary>
    /// A base checkpoint to fine-tune for <paramref name="labels"/>: the encoder must match; the classifier
    /// is kept only when the base was trained for the same labels, otherwise it starts from the initialisation.
    /// What a bare encoder lacks (the head, BERT's pooler) starts from Hugging Face's initialisation too.
    /// </summary>
    public static BertClassifier ForFineTuning(string directory, IReadOnlyList<string> labels, Device device, Action<string>? log = null)
    {
        var config = LoadConfig(directory);
        var sameLabels = config.Labels.SequenceEqual(labels, StringComparer.Ordinal);
        if (!sameLabels)
        {
            log?.Invoke($"classifier initialised for {labels.Count} labels");
            config.WithLabels(labels);
        }

        return Create(directory, config, device, keepClassifier: sameLabels,
            mayBeMissing: name => CheckpointNames.MayStartFromInitialisation(config, name), log);
    }

    /// <summary>A randomly initialised classifier folder (Hugging Face's initialisation) from a config and vocabulary.</summary>
    public static void Initialise(string configPath, string vocabPath, IReadOnlyList<string> labels, string outputDirectory, ulong seed)
    {
        var config = TextModels.LoadConfig(configPath).WithLabels(labels);
        // Marks the weights as random, so training plans for learning from scratch (see BaseModelProfile).
        config.Extra ??= [];
        config.Extra[BaseModelProfile.UntrainedKey] = System.Text.Json.JsonSerializer.SerializeToElement(true);
        var vocabulary = WordPieceVocabulary.Load(vocabPath);
        CheckVocabulary(config, vocabulary, vocabPath);
        _ = new BertTokenizer(vocabulary);
        Torch.Torch.ManualSeed(seed);
        using var model = TextModels.Create(config);
        Directory.CreateDirectory(outputDirectory);
        config.Save(Path.Combine(outputDirectory, ConfigFile));
        File.Copy(vocabPath, Path.Combine(outputDirectory, "vocab.txt"), overwrite: true);
        WriteTokenizerConfig(outputDirectory, new BertTokenizerOptions(), config);
        TensorFiles.Save(Path.Combine(outputDirectory, WeightsFile), model.StateDict(), WeightsMetadata);
    }

    public override void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        // Whatever is saved from here has been trained (or is a copy of trained weights).
        Model.TextConfig.Extra?.Remove(BaseModelProfile.UntrainedKey);
        Model.TextConfig.Save(Path.Combine(directory, ConfigFile));
        foreach (var file in TokenizerFiles)
        {
            var source = Path.Combine(_tokenizerSource, file);
            var target = Path.Combine(directory, file);
            if (File.Exists(source) && Path.GetFullPath(source) != Path.GetFullPath(target))
            {
                File.Copy(source, target, overwrite: true);
            }
        }

        if (!File.Exists(Path.Combine(directory, TokenizerConfigFile)))
        {
            WriteTokenizerConfig(directory, Tokenizer.Options, Model.TextConfig);
        }

        TensorFiles.Save(Path.Combine(directory, WeightsFile), Model.StateDict(), WeightsMetadata);
    }

    /// <summary>Logits [rows, labels] for token ids from <see cref="BertTokenizer.TokenizeToIds"/>.</summary>
    public Tensor Logits(IReadOnlyList<int[]> tokenIds, int maxLength)
    {
        var batch = Tokenizer.BuildBatch(tokenIds, maxLength, PaddingStrategy.Longest);
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        using var ids = Tensor.FromSpan(batch.InputIds, shape, Device);
        using var mask = Tensor.FromSpan(batch.AttentionMask, shape, Device);
        using var types = Tensor.FromSpan(batch.TokenTypeIds, shape, Device);
        return Model.Forward(ids, mask, types);
    }

    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts, int maxLength = 128, int batchSize = 32)
    {
        maxLength = EffectiveMaxLength(maxLength);
        Model.Eval();
        using var noGrad = Torch.Torch.NoGrad();
        var predictions = new List<Prediction>(texts.Count);
        for (var start = 0; start < texts.Count; start += batchSize)
        {
            var rows = texts.Skip(start).Take(batchSize).Select(Tokenizer.TokenizeToIds).ToList();
            using var logits = Logits(rows, maxLength);
            predictions.AddRange(ToPredictions(logits.ToFloatArray(), rows.Count, Labels));
        }

        return predictions;
    }

    /// <summary>Sequences never exceed the model's position embeddings; a longer request is capped there.</summary>
    public int EffectiveMaxLength(int requested) => Math.Min(requested, Model.TextConfig.MaxPositionEmbeddings);

    // Makes the folder self-describing: Hugging Face and BertTokenizer.FromFolder read the casing from it.
    internal static void WriteTokenizerConfig(string directory, BertTokenizerOptions options, ITextModelConfig model)
    {
        var maxLength = model.MaxPositionEmbeddings;
        var config = new Dictionary<string, object?>
        {
            // DistilBERT's tokenizer class matters: BertTokenizer's token_type_ids would be passed to a model that has none.
            ["tokenizer_class"] = model.TokenizerClass,
            ["do_lower_case"] = options.LowerCase,
            ["strip_accents"] = options.StripAccents,
            ["tokenize_chinese_chars"] = options.TokenizeChineseChars,
            ["model_max_length"] = maxLength,
            ["unk_token"] = options.UnknownToken,
            ["cls_token"] = options.ClassifierToken,
            ["sep_token"] = options.SeparatorToken,
            ["pad_token"] = options.PaddingToken,
            ["mask_token"] = options.MaskToken,
        };
        File.WriteAllText(Path.Combine(directory, TokenizerConfigFile),
            System.Text.Json.JsonSerializer.Serialize(config, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    private static ITextModelConfig LoadConfig(string directory)
    {
        var path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{directory} has no {ConfigFile}", path);
        }

        return TextModels.LoadConfig(path);
    }

    private static BertClassifier Create(string directory, ITextModelConfig config, Device device, bool keepClassifier,
        Func<string, bool> mayBeMissing, Action<string>? log)
    {
        var tokenizer = BertTokenizer.FromFolder(directory);
        CheckVocabulary(config, tokenizer.Vocabulary, Path.Combine(directory, "vocab.txt"));
        var model = TextModels.Create(config);
        try
        {
            model.To(device);
            LoadWeightsInto(model, directory, device, mayBeMissing,
                tensors => CheckpointNames.Normalise(config, tensors, keepClassifier), log);
            return new BertClassifier(model, tokenizer, directory, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static void CheckVocabulary(ITextModelConfig config, WordPieceVocabulary vocabulary, string vocabPath)
    {
        if (vocabulary.Count > config.VocabSize)
        {
            throw new InvalidDataException($"{vocabPath} has {vocabulary.Count} tokens, more than the config's vocab_size {config.VocabSize}");
        }
    }
}
