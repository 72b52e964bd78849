using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Models.Bert;

internal sealed class BertEmbeddings : Module
{
    private readonly Embedding words;
    private readonly Embedding positions;
    private readonly Embedding tokenTypes;
    private readonly LayerNorm norm;
    private readonly Dropout dropout;

    public BertEmbeddings(BertConfig config)
    {
        words = RegisterModule("word_embeddings", new Embedding(config.VocabSize, config.HiddenSize, config.PadTokenId));
        positions = RegisterModule("position_embeddings", new Embedding(config.MaxPositionEmbeddings, config.HiddenSize));
        tokenTypes = RegisterModule("token_type_embeddings", new Embedding(config.TypeVocabSize, config.HiddenSize));
        norm = RegisterModule("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        dropout = RegisterModule("dropout", new Dropout(config.HiddenDropoutProb));
    }

    public Tensor WordEmbeddings => words.Weight;

    public Tensor Forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        var seqLength = inputIds.Size(1);
        using var positionIds = Tensor.Arange(seqLength, ScalarType.Int64, inputIds.Device);
        using var w = words.Forward(inputIds);
        using var t = tokenTypes.Forward(tokenTypeIds);
        using var p = positions.Forward(positionIds);
        using var wt = w + t;
        using var sum = wt + p;
        using var normed = norm.Forward(sum);
        return dropout.Forward(normed);
    }
}
