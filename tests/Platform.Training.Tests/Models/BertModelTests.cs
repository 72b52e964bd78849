using Platform.Training.Models.Bert;
using Platform.Training.Tests.Common;
using Platform.Training.Torch;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Models;

public sealed class BertModelTests
{
    private static BertConfig Small() => new BertConfig
    {
        VocabSize = 30, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 24, MaxPositionEmbeddings = 12,
    }.WithLabels(["a", "b"]);

    [Fact]
    public void StateDict_OneLayer_HasExactlyHuggingFaceNames()
    {
        using var model = new BertForSequenceClassification(Small());
        string[] expected =
        [
            "bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight", "bert.embeddings.token_type_embeddings.weight",
            "bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.bias",
            .. new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "attention.output.LayerNorm",
                       "intermediate.dense", "output.dense", "output.LayerNorm" }
                .SelectMany(m => new[] { $"bert.encoder.layer.0.{m}.weight", $"bert.encoder.layer.0.{m}.bias" }),
            "bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias",
        ];
        Assert.Equal(expected.Order(), model.StateDict().Keys.Order());
        Assert.Equal([2L, 16L], model.StateDict()["classifier.weight"].Shape);
        Assert.Equal([24L, 16L], model.StateDict()["bert.encoder.layer.0.intermediate.dense.weight"].Shape);
    }

    [Fact]
    public void SaveLoad_Folder_ReproducesLogits()
    {
        using var dir = new TestDirectory();
        using var scope = TorchApi.NewDisposeScope();
        using var model = new BertForSequenceClassification(Small());
        model.Eval();
        var ids = Tensor.FromSpan([2L, 5, 7, 0, 3, 4, 0, 0], [2, 4]);
        var mask = Tensor.FromSpan([1L, 1, 1, 0, 1, 1, 0, 0], [2, 4]);
        model.Save(dir.Path);

        using var loaded = BertForSequenceClassification.Load(dir.Path);
        loaded.Eval();
        Assert.Equal(["a", "b"], loaded.Config.Labels);
        Assert.Equal(model.Forward(ids, mask).ToFloatArray(), loaded.Forward(ids, mask).ToFloatArray());
    }

    [Fact]
    public void Forward_PaddedPositions_DoNotChangeLogits()
    {
        using var scope = TorchApi.NewDisposeScope();
        using var model = new BertForSequenceClassification(Small());
        model.Eval();
        var shortIds = Tensor.FromSpan([2L, 5, 7], [1, 3]);
        var shortMask = Tensor.FromSpan([1L, 1, 1], [1, 3]);
        var paddedIds = Tensor.FromSpan([2L, 5, 7, 9, 9], [1, 5]);
        var paddedMask = Tensor.FromSpan([1L, 1, 1, 0, 0], [1, 5]);
        var a = model.Forward(shortIds, shortMask).ToFloatArray();
        var b = model.Forward(paddedIds, paddedMask).ToFloatArray();
        for (var i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-5);
    }

    [Fact]
    public void LoadCheckpoint_LegacyPositionIdsBuffer_IsIgnored()
    {
        using var scope = TorchApi.NewDisposeScope();
        using var source = new BertForSequenceClassification(Small());
        using var target = new BertForSequenceClassification(Small());
        var checkpoint = source.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        checkpoint["bert.embeddings.position_ids"] = Tensor.Arange(12).Unsqueeze(0);
        target.LoadCheckpoint(checkpoint);
        Assert.Equal(source.StateDict()["classifier.weight"].ToFloatArray(), target.StateDict()["classifier.weight"].ToFloatArray());
    }

    [Fact]
    public void LoadCheckpoint_WrongShape_ThrowsNamingTheTensor()
    {
        using var source = new BertForSequenceClassification(Small().WithLabels(["a", "b", "c"]));
        using var target = new BertForSequenceClassification(Small());
        var error = Assert.Throws<InvalidDataException>(() => target.LoadCheckpoint(source.StateDict()));
        Assert.Contains("classifier.weight", error.Message);
    }

    [Fact]
    public void Config_HuggingFaceJson_RoundTripsLabelsAndUnknownFields()
    {
        const string json = """
            {"architectures":["BertForMaskedLM"],"model_type":"bert","vocab_size":100,"hidden_size":8,"num_hidden_layers":1,
             "num_attention_heads":2,"intermediate_size":16,"hidden_act":"gelu","max_position_embeddings":32,"type_vocab_size":2,
             "layer_norm_eps":1e-12,"pad_token_id":0,"transformers_version":"4.40.0",
             "id2label":{"0":"spam","1":"ham"},"label2id":{"spam":0,"ham":1}}
            """;
        var config = BertConfig.Parse(json);
        Assert.Equal(["spam", "ham"], config.Labels);
        Assert.Equal(100, config.VocabSize);
        var again = BertConfig.Parse(config.ToJson());
        Assert.Equal("4.40.0", again.Extra!["transformers_version"].GetString());
        Assert.Equal(1, again.Label2Id["ham"]);
    }

    [Fact]
    public void Config_HeadsNotDividingHidden_IsRejected()
    {
        var config = Small();
        config.NumAttentionHeads = 3;
        Assert.Throws<InvalidDataException>(config.Validate);
    }
}
