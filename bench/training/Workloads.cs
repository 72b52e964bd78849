using Platform.Training.Models.Bert;
using Platform.Training.Models.Cnn;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Bench;

/// <summary>A model, one fixed batch and its forward pass: the shapes named in issue 3, mirrored by pytorch_bench.py.</summary>
internal sealed record Workload(Module Model, Func<Tensor> Forward, Tensor Labels, int BatchSize) : IDisposable
{
    public static Workload Create(string name, int batchOverride)
    {
        Torch.Torch.ManualSeed(0);
        return name switch
        {
            "bert" => Bert(batchOverride > 0 ? batchOverride : 32, new BertConfig
            {
                VocabSize = 30522, HiddenSize = 256, NumHiddenLayers = 4, NumAttentionHeads = 4, IntermediateSize = 1024,
                MaxPositionEmbeddings = 512,
            }, 128),
            // Same code paths at a size that makes 2,000 steps affordable on a 2-core machine (memory run).
            "bert-tiny" => Bert(batchOverride > 0 ? batchOverride : 8, new BertConfig
            {
                VocabSize = 2000, HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 128,
                MaxPositionEmbeddings = 128,
            }, 64),
            "cnn" => Cnn(batchOverride > 0 ? batchOverride : 128),
            _ => throw new ArgumentException($"unknown workload '{name}' (bert | bert-tiny | cnn)"),
        };
    }

    private static Workload Bert(int batch, BertConfig config, int seq)
    {
        config.WithLabels(["a", "b", "c", "d"]);
        var model = new BertForSequenceClassification(config);
        var ids = Tensor.RandInt(1, config.VocabSize, [batch, seq]).DetachFromDisposeScope();
        var mask = Tensor.Ones([batch, seq], ScalarType.Int64).DetachFromDisposeScope();
        var types = Tensor.Zeros([batch, seq], ScalarType.Int64).DetachFromDisposeScope();
        var labels = Tensor.RandInt(0, 4, [batch]).DetachFromDisposeScope();
        return new Workload(model, () => model.Forward(ids, mask, types), labels, batch);
    }

    private static Workload Cnn(int batch)
    {
        var model = new CnnClassifier(CnnConfig.FromPreset("cnn-28-grey", Enumerable.Range(0, 10).Select(i => $"c{i}").ToList()));
        var images = Tensor.Randn([batch, 1, 28, 28]).DetachFromDisposeScope();
        var labels = Tensor.RandInt(0, 10, [batch]).DetachFromDisposeScope();
        return new Workload(model, () => model.Forward(images), labels, batch);
    }

    public void Dispose() => Model.Dispose();
}
