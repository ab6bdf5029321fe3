"""Pictures: training plots (matplotlib, PNG) and Graphviz pictures of models, IR and fused
kernels. See docs/LOGGING.md."""
from .graph import (ir_to_dot, model_to_dot, plot_ir, plot_kernels, plot_model,  # noqa: F401
                    render)
from .plots import (confusion_matrix, plot_confusion_matrix, plot_history,  # noqa: F401
                    plot_lr_find, plot_predictions, save_training_plots)
