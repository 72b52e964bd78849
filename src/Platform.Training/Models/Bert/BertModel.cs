using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Models.Bert;

/// <summary>Embeddings, encoder and pooler: Hugging Face's BertModel (registered as "bert").</summary>
internal sealed class BertModel : Module
{
    private readonly BertEmbeddings embeddings;
    private readonly List<BertLayer> layers = [];
    private readonly Linear pooler;

    public BertModel(BertConfig config)
    {
        embeddings = RegisterModule("embeddings", new BertEmbeddings(config));
        var encoderLayers = RegisterModule("encoder", new Container()).Add("layer", new Container());
        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            layers.Add(encoderLayers.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), new BertLayer(config)));
        }
        pooler = RegisterModule("pooler", new Container()).Add("dense", new Linear(config.HiddenSize, config.HiddenSize));
    }

    /// <summary>The word embedding matrix [vocab, hidden]; the masked-LM decoder shares it.</summary>
    public Tensor WordEmbeddings => embeddings.WordEmbeddings;

    /// <returns>The pooled [CLS] representation, [batch, hidden].</returns>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var hidden = Encode(inputIds, attentionMask, tokenTypeIds);
        using var first = hidden.Select(1, 0);
        using var dense = pooler.Forward(first);
        return dense.Tanh();
    }

    /// <returns>The last layer's hidden states, [batch, seq, hidden] (Hugging Face's sequence_output).</returns>
    public Tensor Encode(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var extendedMask = ExtendedMask(attentionMask);
        var hidden = embeddings.Forward(inputIds, tokenTypeIds);
        foreach (var layer in layers)
        {
            using var previous = hidden;
            hidden = layer.Forward(previous, extendedMask);
        }

        return hidden;
    }

    /// <summary>Hugging Face's get_extended_attention_mask: (1 - mask) * finfo(float32).min, broadcast over heads and queries.</summary>
    private static Tensor ExtendedMask(Tensor attentionMask)
    {
        var batch = attentionMask.Size(0);
        var seq = attentionMask.Size(1);
        using var asFloat = attentionMask.To(ScalarType.Float32);
        using var inverted = 1.0 - asFloat;
        using var scaled = inverted * float.MinValue;
        return scaled.View(batch, 1, 1, seq);
    }
}
