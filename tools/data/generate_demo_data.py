"""Writes the procedural demo dataset of 3D skeleton clips (PySKL format).

The real datasets (NTU RGB+D and the like) are never shipped with the
project. This module synthesises a small stand-in so that configs, tests and
tutorials can run end to end. The clips use the NTU RGB+D 25-joint layout,
metres, and a camera frame with x to the right, y up and z the depth
(about 3 m).

There are 12 classes in 4 groups of 3 deliberately similar classes (see
:data:`DEMO_GROUPS`), so a classifier confuses classes within a group more
often than across groups, which is what ACLNet's Motion Families pick up.

Each pose is built by rotating the limb chains of a rest pose (forward
kinematics). Every clip gets a random subject (body size and arm length),
timing and speed, amplitude, rotation about the vertical axis (+-30 deg),
translation and Gaussian joint noise (5 mm). Everything is drawn from
``np.random.default_rng(seed)``, so a seed always gives the same dataset.

Run it from the repository root::

    python tools/data/generate_demo_data.py \
        [--out data/demo/aclnet_demo_v2.pkl]

or import it (``tools/demo.py`` and the tests do)::

    write_demo_dataset('data/demo/aclnet_demo_v2.pkl')
"""
import argparse
import os
import os.path as osp
import pickle
import time

import numpy as np

DEMO_CLASSES = (
    # group 0: both arms rise
    'raise both arms',
    'raise arms forward',
    'spread arms',
    # group 1: wave (right hand)
    'wave slowly',
    'wave fast',
    'wave widely',
    # group 2: leg motion (right leg)
    'kick forward',
    'raise knee',
    'raise leg sideways',
    # group 3: two-person interaction
    'shake hands',
    'push other person',
    'hug other person',
)

#: Class indices of each group of similar classes.
DEMO_GROUPS = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (9, 10, 11))

#: Classes with two persons per clip (M = 2); all others have M = 1.
TWO_PERSON_CLASSES = (9, 10, 11)

FPS = 30
MIN_FRAMES, MAX_FRAMES = 30, 60
IMG_SHAPE = (1080, 1920)
NUM_SUBJECTS = 10
NUM_TRAIN_SUBJECTS = 6  # subjects 1-6 train, 7-10 val (cross-subject split)
NOISE_STD = 0.005  # metres

# NTU RGB+D joint indices (0-based).
(SPINE_BASE, SPINE_MID, NECK, HEAD, L_SHOULDER, L_ELBOW, L_WRIST, L_HAND,
 R_SHOULDER, R_ELBOW, R_WRIST, R_HAND, L_HIP, L_KNEE, L_ANKLE, L_FOOT, R_HIP,
 R_KNEE, R_ANKLE, R_FOOT, SPINE_SHOULDER, L_HAND_TIP, L_THUMB, R_HAND_TIP,
 R_THUMB) = range(25)

# Joints moved by each joint's rotation (the joint's descendants).
L_FOREARM = [L_WRIST, L_HAND, L_HAND_TIP, L_THUMB]
R_FOREARM = [R_WRIST, R_HAND, R_HAND_TIP, R_THUMB]
L_ARM = [L_ELBOW] + L_FOREARM
R_ARM = [R_ELBOW] + R_FOREARM
L_SHANK = [L_ANKLE, L_FOOT]
R_SHANK = [R_ANKLE, R_FOOT]
L_LEG = [L_KNEE] + L_SHANK
R_LEG = [R_KNEE] + R_SHANK
UPPER_BODY = [SPINE_MID, NECK, HEAD, SPINE_SHOULDER, L_SHOULDER, R_SHOULDER
              ] + L_ARM + R_ARM

# Rest pose of a 1.75 m person, spine base at the origin, facing the camera
# (towards -z), so the person's left side is at +x. Only the left half and
# the spine are listed; the right half mirrors the left.
_REST_LEFT_AND_SPINE = {
    SPINE_BASE: (0.00, 0.00, 0.00),
    SPINE_MID: (0.00, 0.27, 0.00),
    SPINE_SHOULDER: (0.00, 0.50, 0.00),
    NECK: (0.00, 0.57, 0.00),
    HEAD: (0.00, 0.72, 0.00),
    L_SHOULDER: (0.18, 0.47, 0.00),
    L_ELBOW: (0.21, 0.19, 0.00),
    L_WRIST: (0.22, -0.05, 0.00),
    L_HAND: (0.22, -0.13, 0.00),
    L_HAND_TIP: (0.22, -0.20, 0.00),
    L_THUMB: (0.20, -0.11, -0.04),
    L_HIP: (0.09, -0.03, 0.00),
    L_KNEE: (0.10, -0.46, 0.00),
    L_ANKLE: (0.10, -0.88, 0.02),
    L_FOOT: (0.10, -0.93, -0.10),
}
_MIRROR = {
    L_SHOULDER: R_SHOULDER, L_ELBOW: R_ELBOW, L_WRIST: R_WRIST,
    L_HAND: R_HAND, L_HAND_TIP: R_HAND_TIP, L_THUMB: R_THUMB, L_HIP: R_HIP,
    L_KNEE: R_KNEE, L_ANKLE: R_ANKLE, L_FOOT: R_FOOT
}

X_AXIS = np.array([1.0, 0.0, 0.0])
Y_AXIS = np.array([0.0, 1.0, 0.0])
Z_AXIS = np.array([0.0, 0.0, 1.0])


def _rest_pose():
    """Returns the (25, 3) rest pose of a 1.75 m person."""
    pose = np.zeros((25, 3))
    for joint, xyz in _REST_LEFT_AND_SPINE.items():
        pose[joint] = xyz
    for left, right in _MIRROR.items():
        pose[right] = pose[left] * (-1.0, 1.0, 1.0)
    return pose


def _make_subjects(rng):
    """Returns the rest poses (25, 3) of the demo subjects.

    Subjects differ in height (0.9-1.1 times the rest pose), arm length
    and shoulder width.
    """
    subjects = []
    for _ in range(NUM_SUBJECTS):
        pose = _rest_pose()
        for shoulder, arm in ((L_SHOULDER, L_ARM), (R_SHOULDER, R_ARM)):
            pose[shoulder, 0] *= rng.uniform(0.92, 1.08)
            pose[arm] = pose[shoulder] + rng.uniform(0.94, 1.06) * (
                pose[arm] - pose[shoulder])
        subjects.append(pose * rng.uniform(0.9, 1.1))
    return subjects


def _rotation(axis, degrees):
    """Rotation matrices about ``axis`` by per-frame angles.

    Args:
        axis (np.ndarray): Rotation axis (3, ), need not be unit length.
        degrees (np.ndarray | float): Angle(s) in degrees, shape (T, ) or
            scalar.

    Returns:
        np.ndarray: Rotation matrices (T, 3, 3) (or (3, 3) for a scalar).
    """
    x, y, z = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    theta = np.deg2rad(degrees)
    c, s = np.cos(theta), np.sin(theta)
    C = 1.0 - c
    rot = np.array([
        [c + x * x * C, x * y * C - z * s, x * z * C + y * s],
        [y * x * C + z * s, c + y * y * C, y * z * C - x * s],
        [z * x * C - y * s, z * y * C + x * s, c + z * z * C],
    ])
    return np.moveaxis(rot, (0, 1), (-2, -1))


def _rotate(pose, pivot, joints, rot):
    """Rotates ``joints`` of ``pose`` (T, 25, 3) about ``pivot``, in place."""
    origin = pose[:, pivot:pivot + 1]
    pose[:, joints] = np.einsum('tij,tvj->tvi', rot,
                                pose[:, joints] - origin) + origin


def _animate(rest, num_frames, rotations, root=None):
    """Poses a person by forward kinematics.

    Rotations are given in the rest frame of the parent segment and applied
    from the hands and feet towards the trunk, so that each rotation also
    carries the already rotated segments below it.

    Args:
        rest (np.ndarray): Rest pose (25, 3).
        num_frames (int): Number of frames T.
        rotations (dict): Per-frame rotations (T, 3, 3) by joint name, any of
            ``l_elbow, r_elbow, l_knee, r_knee, l_shoulder, r_shoulder,
            l_hip, r_hip, torso``; missing joints stay at rest.
        root (np.ndarray, optional): Per-frame translation (T, 3).

    Returns:
        np.ndarray: Poses (T, 25, 3).
    """
    chains = (  # name, pivot joint, joints it moves; distal first
        ('l_elbow', L_ELBOW, L_FOREARM), ('r_elbow', R_ELBOW, R_FOREARM),
        ('l_knee', L_KNEE, L_SHANK), ('r_knee', R_KNEE, R_SHANK),
        ('l_shoulder', L_SHOULDER, L_ARM), ('r_shoulder', R_SHOULDER, R_ARM),
        ('l_hip', L_HIP, L_LEG), ('r_hip', R_HIP, R_LEG),
        ('torso', SPINE_BASE, UPPER_BODY))
    pose = np.repeat(rest[None], num_frames, axis=0)
    for name, pivot, joints in chains:
        if name in rotations:
            _rotate(pose, pivot, joints, rotations[name])
    if root is not None:
        pose += root[:, None]
    return pose


def _envelope(rng, num_frames, start, rise, hold, fall):
    """Smooth rise-hold-fall activation curve with values in [0, 1].

    Each argument after ``num_frames`` is a ``(low, high)`` range, as a
    fraction of the clip, from which the phase lengths are drawn. The curve
    may be cut off by the end of the clip.
    """
    t0, rise, hold, fall = (rng.uniform(*r) for r in (start, rise, hold, fall))
    u = np.linspace(0.0, 1.0, num_frames)

    def smoothstep(x):
        x = np.clip(x, 0.0, 1.0)
        return x * x * (3.0 - 2.0 * x)

    up = smoothstep((u - t0) / rise)
    down = smoothstep((u - t0 - rise - hold) / fall)
    return up * (1.0 - down)


# --------------------------------------------------------------------------
# Classes. Each returns the poses (M, T, 25, 3) in a person-centred frame.
# --------------------------------------------------------------------------


def _arm_raise_axis(side, forward_deg):
    """Axis for raising an arm sideways (0 deg) to forwards (90 deg)."""
    psi = np.deg2rad(forward_deg)
    sign = 1.0 if side == 'l' else -1.0
    return np.array([np.sin(psi), 0.0, sign * np.cos(psi)])


def _arm_raise(rng, rest, num_frames, label):
    """Raise both arms sideways and high, forwards to shoulder height, or
    sideways to shoulder height.

    The two sideways raises differ in height (at least 30 degrees apart), the
    two shoulder-height ones in direction (at least 60 degrees apart); the
    arms rise together, one a little lower.
    """
    if label == 0:  # high, sideways to slightly forwards
        top, forward = rng.uniform(130, 160), rng.uniform(0, 20)
    elif label == 1:  # forwards, to shoulder height
        top, forward = rng.uniform(80, 100), rng.uniform(80, 90)
    else:  # sideways, to shoulder height
        top, forward = rng.uniform(80, 100), rng.uniform(0, 20)
    other = rng.uniform(0.85, 1.0) * top
    heights = {'l': top, 'r': other} if rng.random() < 0.5 else {
        'l': other, 'r': top}
    rotations = {}
    for side in ('l', 'r'):
        env = _envelope(rng, num_frames, (0.0, 0.15), (0.25, 0.4), (0.1, 0.3),
                        (0.2, 0.35))
        axis = _arm_raise_axis(side, forward + rng.uniform(-5, 5))
        rotations[side + '_shoulder'] = _rotation(axis, heights[side] * env)
        rotations[side + '_elbow'] = _rotation(X_AXIS,
                                               rng.uniform(0, 20) * env)
    return _animate(rest, num_frames, rotations)[None]


def _wave(rng, rest, num_frames, label):
    """Wave the right hand: slowly, fast, or slowly with a wide swing.

    Speed is drawn as wave cycles per clip rather than in Hz, so that it
    survives pipelines that resample every clip to a fixed length. Slow and
    wide waves share their speed, fast ones are at least twice as fast and
    swing further than slow ones; wide ones swing furthest, partly from the
    shoulder.
    """
    if label == 3:  # slow
        cycles, amp, shoulder_share = rng.uniform(1.0, 1.3), rng.uniform(
            22, 28), 0.0
    elif label == 4:  # fast
        cycles, amp, shoulder_share = rng.uniform(3.2, 3.8), rng.uniform(
            42, 48), 0.0
    else:  # wide
        cycles, amp, shoulder_share = rng.uniform(1.0, 1.3), rng.uniform(
            75, 85), rng.uniform(0.35, 0.45)
    u = np.linspace(0.0, 1.0, num_frames)
    swing = amp * np.sin(2 * np.pi * cycles * u + rng.uniform(0, 2 * np.pi))
    env = _envelope(rng, num_frames, (0.0, 0.1), (0.1, 0.2), (0.5, 0.8),
                    (0.1, 0.2))
    lift = rng.uniform(60, 100)  # upper arm abduction
    # The forearm points up (180 deg from hanging) and swings sideways by
    # ``swing``, of which the shoulder contributes ``shoulder_share``.
    rotations = {
        'r_shoulder':
        _rotation(-Z_AXIS, env * (lift - shoulder_share * swing)),
        'r_elbow':
        _rotation(Z_AXIS, env * (lift - 180 + (1 - shoulder_share) * swing)),
        'l_shoulder':
        _rotation(Z_AXIS, rng.uniform(0, 10) * env),
    }
    return _animate(rest, num_frames, rotations)[None]


def _leg_motion(rng, rest, num_frames, label):
    """Kick forward, raise the knee, or raise the straight leg sideways.

    A kick is quick (the leg is up and down again within a third of the
    clip), a knee raise slow with a hold, a sideways raise in between.
    """
    if label == 6:  # kick: the straight leg swings up, quickly
        side_deg, hip, knee = rng.uniform(-10, 10), rng.uniform(
            80, 95), rng.uniform(0, 10)
        timing = (0.2, 0.4), (0.08, 0.12), (0.0, 0.05), (0.08, 0.12)
    elif label == 7:  # knee raise: the foot stays under the knee
        side_deg, hip, knee = rng.uniform(-10, 10), rng.uniform(
            80, 95), rng.uniform(100, 115)
        timing = (0.05, 0.15), (0.2, 0.3), (0.2, 0.3), (0.2, 0.3)
    else:  # sideways
        side_deg, hip, knee = rng.uniform(60, 80), rng.uniform(
            40, 55), rng.uniform(0, 10)
        timing = (0.05, 0.2), (0.15, 0.25), (0.1, 0.2), (0.15, 0.25)
    env = _envelope(rng, num_frames, *timing)
    side = np.deg2rad(side_deg)  # 0: swing forwards, 90: swing sideways
    hip_axis = np.array([np.cos(side), 0.0, -np.sin(side)])
    rotations = {
        'r_hip': _rotation(hip_axis, hip * env),
        'r_knee': _rotation(-X_AXIS, knee * env),
        'torso': _rotation(X_AXIS, rng.uniform(0, 12) * env),  # lean back
        'l_shoulder': _rotation(Z_AXIS, rng.uniform(0, 10) * env),  # balance
        'r_shoulder': _rotation(-Z_AXIS, rng.uniform(0, 10) * env),
    }
    return _animate(rest, num_frames, rotations)[None]


def _walk(rng, num_frames, distance, env):
    """Steps forwards over ``distance`` following ``env``; returns the root
    translation (T, 3) and the hip and knee rotations of the gait."""
    root = np.zeros((num_frames, 3))
    if distance <= 0:
        return root, {}
    root[:, 2] = -distance * env  # forwards is -z
    speed = np.gradient(env) * num_frames  # ~1 while walking
    phase = 2 * np.pi * np.cumsum(np.abs(speed)) * rng.uniform(1.5, 2.5) / (
        num_frames)
    swing = 20 * np.clip(np.abs(speed), 0, 1) * np.sin(phase)
    knee = 20 * np.clip(np.abs(speed), 0, 1)
    rotations = {
        'l_hip': _rotation(X_AXIS, swing),
        'r_hip': _rotation(X_AXIS, -swing),
        'l_knee': _rotation(-X_AXIS, knee * np.clip(np.sin(phase), 0, 1)),
        'r_knee': _rotation(-X_AXIS, knee * np.clip(-np.sin(phase), 0, 1)),
    }
    return root, rotations


def _interaction(rng, rests, num_frames, label):
    """Two persons walk towards each other and shake hands, push or hug."""
    start_gap = rng.uniform(1.3, 1.7)
    if label == 9:  # handshake
        end_gap = rng.uniform(0.75, 0.95)
    elif label == 10:  # push
        end_gap = rng.uniform(0.55, 0.7)
    else:  # hug
        end_gap = rng.uniform(0.4, 0.5)
    approach = _envelope(rng, num_frames, (0.0, 0.1), (0.3, 0.45), (1.0, 1.0),
                         (1.0, 1.0))
    reach = _envelope(rng, num_frames, (0.2, 0.3), (0.2, 0.3), (0.3, 0.5),
                      (0.1, 0.2))
    t = np.arange(num_frames) / FPS
    persons = []
    for person, rest in enumerate(rests):
        # Each walks half the way; in a push only the pusher (person 0) walks.
        share = 0.5 if label != 10 else float(person == 0)
        root, rotations = _walk(rng, num_frames,
                                share * (start_gap - end_gap), approach)
        if label == 9:
            shake = rng.uniform(4, 8) * np.sin(
                2 * np.pi * rng.uniform(2, 3) * t) * reach
            rotations['r_shoulder'] = _rotation(
                X_AXIS, rng.uniform(45, 70) * reach + shake)
            rotations['r_elbow'] = _rotation(X_AXIS,
                                             rng.uniform(20, 40) * reach)
            # Sometimes the left hand comes up towards the shake too.
            rotations['l_shoulder'] = _rotation(X_AXIS,
                                                rng.uniform(0, 35) * reach)
        elif label == 10 and person == 0:  # pusher: both arms forwards
            for side in ('l', 'r'):
                rotations[side + '_shoulder'] = _rotation(
                    X_AXIS, rng.uniform(55, 95) * reach)
                rotations[side + '_elbow'] = _rotation(
                    X_AXIS, rng.uniform(0, 20) * reach)
        elif label == 10:  # pushed: leans and steps back, arms lift a bit
            rotations['torso'] = _rotation(X_AXIS, rng.uniform(3, 12) * reach)
            root[:, 2] += rng.uniform(0.1, 0.25) * reach
            for side in ('l', 'r'):
                rotations[side + '_shoulder'] = _rotation(
                    X_AXIS, rng.uniform(0, 30) * reach)
        else:  # hug: arms forwards and wrapped inwards
            for side, sign in (('l', -1.0), ('r', 1.0)):
                rotations[side + '_shoulder'] = _rotation(
                    _arm_raise_axis(side, rng.uniform(60, 85)),
                    rng.uniform(70, 95) * reach)
                rotations[side + '_elbow'] = _rotation(
                    sign * Z_AXIS, rng.uniform(20, 60) * reach)
        pose = _animate(rest, num_frames, rotations, root)
        # Face each other along x: person 0 on the left looks towards +x.
        yaw = -90.0 if person == 0 else 90.0
        pose = pose @ _rotation(Y_AXIS, yaw).T
        pose[..., 0] += -start_gap / 2 if person == 0 else start_gap / 2
        persons.append(pose)
    return np.stack(persons)


def _make_clip(rng, label, subjects):
    """Generates one clip of class ``label`` as a float32 (M, T, 25, 3)."""
    num_frames = int(rng.integers(MIN_FRAMES, MAX_FRAMES + 1))
    if label in TWO_PERSON_CLASSES:
        first, second = rng.choice(len(subjects), size=2, replace=False)
        poses = _interaction(rng, [subjects[first], subjects[second]],
                             num_frames, label)
    else:
        rest = subjects[rng.integers(len(subjects))]
        make = (_arm_raise, _wave, _leg_motion)[label // 3]
        poses = make(rng, rest, num_frames, label)

    # Small slow sway of each person, like a person standing still.
    t = np.arange(num_frames)[:, None] / FPS
    sway = rng.uniform(0, 0.015, (len(poses), 1, 3)) * np.sin(
        2 * np.pi * rng.uniform(0.2, 0.5) * t + rng.uniform(0, 2 * np.pi, 3))
    poses = poses + sway[:, :, None]

    # Place the scene in the camera frame: turn, then move away from camera.
    yaw = _rotation(Y_AXIS, rng.uniform(-30, 30))
    shift = np.array([
        rng.uniform(-0.4, 0.4),
        rng.uniform(-0.15, 0.05),
        rng.uniform(2.7, 3.3)
    ])
    poses = poses @ yaw.T + shift
    poses = poses + rng.normal(0.0, NOISE_STD, poses.shape)
    return poses.astype(np.float32)


def generate_demo_annotations(num_train_per_class=30,
                              num_test_per_class=30,
                              seed=0):
    """Generates the demo dataset in memory.

    Train and val clips use disjoint subjects (``xsub`` split). Classes
    listed in :data:`TWO_PERSON_CLASSES` have two persons per clip, the
    others one.

    Args:
        num_train_per_class (int): Clips per class in ``xsub_train``.
            Defaults to 30.
        num_test_per_class (int): Clips per class in ``xsub_val``.
            Defaults to 30.
        seed (int): Seed of ``np.random.default_rng``. Defaults to 0.

    Returns:
        dict: ``{'split': {'xsub_train': [...], 'xsub_val': [...]},
        'annotations': [...]}`` where each annotation has ``frame_dir``,
        ``label``, ``total_frames``, ``keypoint`` (float32 array of shape
        (M, T, 25, 3)), ``img_shape`` and ``original_shape``.
    """
    rng = np.random.default_rng(seed)
    subjects = _make_subjects(rng)
    pools = {
        'xsub_train': subjects[:NUM_TRAIN_SUBJECTS],
        'xsub_val': subjects[NUM_TRAIN_SUBJECTS:],
    }
    counts = {'xsub_train': num_train_per_class,
              'xsub_val': num_test_per_class}
    split = {name: [] for name in pools}
    annotations = []
    for name, pool in pools.items():
        for label in range(len(DEMO_CLASSES)):
            for index in range(counts[name]):
                keypoint = _make_clip(rng, label, pool)
                frame_dir = f'demo_{name}_A{label + 1:03d}_R{index:03d}'
                split[name].append(frame_dir)
                annotations.append(
                    dict(
                        frame_dir=frame_dir,
                        label=label,
                        total_frames=keypoint.shape[1],
                        keypoint=keypoint,
                        img_shape=IMG_SHAPE,
                        original_shape=IMG_SHAPE))
    return dict(split=split, annotations=annotations)


def write_demo_dataset(out_file, seed=0, overwrite=False, **kwargs):
    """Generates the demo dataset and pickles it to ``out_file``.

    Args:
        out_file (str): Output ``.pkl`` path; parent folders are created.
        seed (int): Seed of the generator. Defaults to 0.
        overwrite (bool): Replace an existing file. Defaults to False.
        **kwargs: Passed to :func:`generate_demo_annotations`.

    Returns:
        dict: The dataset that was written.

    Raises:
        FileExistsError: If ``out_file`` exists and ``overwrite`` is False.
    """
    if osp.exists(out_file) and not overwrite:
        raise FileExistsError(
            f'{out_file} already exists; pass overwrite=True to replace it.')
    data = generate_demo_annotations(seed=seed, **kwargs)
    parent = osp.dirname(osp.abspath(out_file))
    os.makedirs(parent, exist_ok=True)
    with open(out_file, 'wb') as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    return data


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate the ACLNet demo skeleton dataset.')
    parser.add_argument(
        '--out',
        default='data/demo/aclnet_demo_v2.pkl',
        help='output pickle file')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace the output file if it exists')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if osp.exists(args.out) and not args.overwrite:
        print(f'{args.out} already exists, nothing to do '
              '(use --overwrite to regenerate it).')
        return
    start = time.perf_counter()
    data = write_demo_dataset(args.out, seed=args.seed, overwrite=True)
    sizes = {name: len(dirs) for name, dirs in data['split'].items()}
    print(f'Wrote {len(data["annotations"])} clips of {len(DEMO_CLASSES)} '
          f'classes {sizes} to {args.out} '
          f'in {time.perf_counter() - start:.1f} s.')


if __name__ == '__main__':
    main()
