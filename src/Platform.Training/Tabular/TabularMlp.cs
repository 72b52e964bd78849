using System.Globalization;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Tabular;

/// <summary>A multi-layer perceptron over preprocessed tabular features: (linear, ReLU, dropout) per hidden layer, then the classifier.</summary>
public sealed class TabularMlp : Module
{
    private readonly List<Linear> _layers = [];
    private readonly Dropout _dropout;
    private readonly Linear _classifier;

    public TabularMlp(int features, IReadOnlyList<int> hiddenLayers, int labels, double dropout)
    {
        var container = RegisterModule("layers", new Layers());
        long width = features;
        for (var i = 0; i < hiddenLayers.Count; i++)
        {
            _layers.Add(container.Add(i.ToString(CultureInfo.InvariantCulture), new Linear(width, hiddenLayers[i])));
            width = hiddenLayers[i];
        }

        _dropout = RegisterModule("dropout", new Dropout(dropout));
        _classifier = RegisterModule("classifier", new Linear(width, labels));
    }

    /// <summary>Logits [batch, labels] from features [batch, features].</summary>
    public Tensor Forward(Tensor features)
    {
        var x = features.Clone();
        foreach (var layer in _layers)
        {
            using var previous = x;
            using var linear = layer.Forward(previous);
            using var relu = linear.Relu();
            x = _dropout.Forward(relu);
        }

        using (x)
        {
            return _classifier.Forward(x);
        }
    }

    private sealed class Layers : Module
    {
        public T Add<T>(string name, T module) where T : Module => RegisterModule(name, module);
    }
}
