using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Models.Bert;

/// <summary>
/// Hugging Face's BertForMaskedLM: the encoder ("bert.*") and the prediction head
/// (cls.predictions.transform.dense.*, cls.predictions.transform.LayerNorm.*, cls.predictions.bias),
/// whose decoder is the word embedding matrix itself (cls.predictions.decoder.weight is tied to
/// bert.embeddings.word_embeddings.weight, as in Hugging Face, and not stored twice).
/// </summary>
/// <remarks>
/// Unlike Hugging Face's BertForMaskedLM the encoder keeps its pooler ("bert.pooler.*"): the masked-LM
/// loss does not use it, so it stays at its initialisation, but the saved folder then holds every
/// tensor a BertForSequenceClassification needs and fine-tunes unchanged.
/// </remarks>
public sealed class BertForMaskedLM : Module
{
    private readonly BertModel bert;
    private readonly PredictionHead head;

    public BertForMaskedLM(BertConfig config)
    {
        config.Validate();
        Config = config;
        bert = RegisterModule("bert", new BertModel(config));
        head = RegisterModule("cls", new Container()).Add("predictions", new PredictionHead(config));
        InitWeights();
    }

    public BertConfig Config { get; }

    /// <summary>The word embeddings, which are also the decoder's weight.</summary>
    public Tensor WordEmbeddings => bert.WordEmbeddings;

    /// <summary>Vocabulary logits for every position, [batch, seq, vocab_size].</summary>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var hidden = bert.Encode(inputIds, attentionMask, tokenTypeIds);
        return head.Forward(hidden, WordEmbeddings);
    }

    /// <summary>
    /// Vocabulary logits only at <paramref name="positions"/> (int64 [n], flat indices into
    /// batch x seq), [n, vocab_size]: the loss needs the 15 % of positions that were selected, and the
    /// vocabulary projection is the largest matrix product of a step.
    /// </summary>
    public Tensor MaskedLogits(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds, Tensor positions)
    {
        using var hidden = bert.Encode(inputIds, attentionMask, tokenTypeIds);
        using var flat = hidden.Reshape(-1, Config.HiddenSize);
        using var selected = flat.IndexSelect(0, positions);
        return head.Forward(selected, WordEmbeddings);
    }

    /// <summary>Writes config.json and model.safetensors (vocab.txt belongs to the tokenizer).</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        Config.Save(Path.Combine(folder, ModelFolder.ConfigFile));
        ModelFolder.SaveWeights(this, folder);
    }

    /// <summary>Hugging Face's BertPreTrainedModel._init_weights (the head's bias starts at zero).</summary>
    private void InitWeights()
    {
        using var noGrad = Torch.Torch.NoGrad();
        var std = Config.InitializerRange;
        foreach (var (name, tensor) in NamedParameters())
        {
            if (name.Contains("LayerNorm", StringComparison.Ordinal))
            {
                tensor.Fill_(name.EndsWith(".weight", StringComparison.Ordinal) ? 1.0 : 0.0);
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                tensor.Zero_();
            }
            else
            {
                tensor.Normal_(0, std);
            }
        }

        using var padRow = WordEmbeddings.Select(0, Config.PadTokenId);
        padRow.Zero_();
    }

    /// <summary>BertLMPredictionHead: transform (dense, gelu, LayerNorm), then the tied decoder plus its own bias.</summary>
    private sealed class PredictionHead : Module
    {
        private readonly Linear dense;
        private readonly LayerNorm norm;
        private readonly Tensor bias;

        public PredictionHead(BertConfig config)
        {
            var transform = RegisterModule("transform", new Container());
            dense = transform.Add("dense", new Linear(config.HiddenSize, config.HiddenSize));
            norm = transform.Add("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
            bias = RegisterParameter("bias", Tensor.Zeros([config.VocabSize]));
        }

        public Tensor Forward(Tensor hidden, Tensor decoderWeight)
        {
            using var projected = dense.Forward(hidden);
            using var activated = projected.Gelu();
            using var normed = norm.Forward(activated);
            return Functional.Linear(normed, decoderWeight, bias);
        }
    }
}
