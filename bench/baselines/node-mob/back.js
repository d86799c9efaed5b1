// A `back` worker of the node-mob baseline: echoes its argument through the callback.
'use strict';

exports.echo = function (x, cb) {
    cb(x);
};
